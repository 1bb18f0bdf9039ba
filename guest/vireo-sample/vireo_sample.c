// SPDX-License-Identifier: GPL-2.0
/*
 * vireo_sample: a guest driver for Vireo's sample accelerator (vireo-device, PCI 1af4:10f1),
 * which a Vireo VMM assigns to a guest over vfio-user.
 *
 * It exists to prove device assignment end to end: writing N to the run_dma attribute runs N
 * round trips (a known pattern from guest memory into the device buffer, checked through
 * BAR2, then back into a second guest buffer), each DMA waiting for its completion interrupt
 * (MSI-X vector 0, or INTx with irq_mode=intx), and logs one line a test can parse:
 *
 *   vireo_sample 0000:00:01.0: dma ok rounds=N irqs=M spurious=S completions=C mode=msix
 *   vireo_sample 0000:00:01.0: dma FAILED round=R: REASON irqs=M spurious=S completions=C mode=msix
 *
 * irqs and spurious count this run's handler calls with and without a pending completion (2N
 * and 0 when all is well); completions is the device's COMPLETED register (since its reset).
 * The attributes irqs, spurious, completions and mode read the same, irqs and spurious since
 * probe.
 *
 * Runtime PM: the driver allows runtime suspend (probe ends with pm_runtime_put_noidle), so
 * `echo auto > power/control` lets the PCI core suspend the device when idle: the driver's
 * runtime_suspend masks its interrupt and saves SCRATCH, then the core saves config space, arms
 * wake (PME_En and, through ACPI _PRW, the wake GPE) and moves it to D3hot or, through ACPI
 * power resources, D3cold. run_dma and completions resume it first (and let it suspend again
 * after); runtime_resume restores what a powered-off device lost. A device wake arrives as
 * ACPI Notify(dev, 0x2), which the PCI core's own handler turns into a runtime resume. The
 * attributes runtime_suspends and runtime_resumes count the driver's callbacks.
 *
 * ACPI notify: with an ACPI companion, every Notify on it (system and device codes) is logged,
 *
 *   vireo_sample 0000:00:01.0: acpi notify 0x81 (#3)
 *
 * (# counts from 1 since probe), and kept: acpi_notify_log reads the last 64 codes, oldest
 * first, as "0x80 0x81 0x02\n" (an empty line before the first), acpi_notify_count the total.
 * The driver only records them; 0x2 (device wake) is handled by the PCI core.
 *
 * The register map is the doc comment of AcceleratorDevice in src/Vireo.SampleDevice.
 */

#include <linux/acpi.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/spinlock.h>
#include <linux/string.h>

/* Linux 6.8 named INTx PCI_IRQ_INTX, and 6.10 dropped the old name (6.1 has only that). */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

#define VS_NAME			"vireo_sample"

#define VS_VENDOR_ID		0x1af4
#define VS_DEVICE_ID		0x10f1

#define VS_REGS_BAR		0
#define VS_BUFFER_BAR		2

/* BAR0 registers */
#define VS_REG_ID		0x00
#define VS_REG_STATUS		0x04	/* RW1C */
#define VS_REG_VERSION		0x0c
#define VS_REG_SOURCE		0x10	/* 64-bit */
#define VS_REG_DESTINATION	0x18	/* 64-bit */
#define VS_REG_LENGTH		0x20
#define VS_REG_COMPLETED	0x28
#define VS_REG_SCRATCH		0x2c
#define VS_REG_COMMAND		0x30
#define VS_REG_INT_STATUS	0x34
#define VS_REG_INT_ACK		0x38
#define VS_REG_BUFFER_SIZE	0x3c

#define VS_ID			0x45524956	/* "VIRE" */
#define VS_STATUS_DONE		BIT(0)
#define VS_STATUS_ERROR		BIT(1)
#define VS_DIR_MEM_TO_BUFFER	1
#define VS_DIR_BUFFER_TO_MEM	2
#define VS_COMMAND_START	BIT(4)
#define VS_INT_DONE		BIT(0)

/* The DMA buffers: at most this much of the device buffer is used per transfer. */
#define VS_MAX_LENGTH		SZ_64K
#define VS_MAX_ROUNDS		100000

/* ACPI notify codes kept for acpi_notify_log. */
#define VS_NOTIFY_LOG		64

static char *irq_mode = "msix";
module_param(irq_mode, charp, 0444);
MODULE_PARM_DESC(irq_mode, "Completion interrupt: msix (default) or intx");

/* Generous: in the nested lab every register access is an emulated exit. */
static unsigned int timeout_ms = 5000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long one DMA may take to interrupt, in ms (default 5000)");

struct vs_device {
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *buffer;
	u32 length;
	bool intx;
	int irq;

	/* Runtime PM: set while suspended, so the handler leaves a powered-off device alone. */
	bool suspended;
	u32 saved_scratch;
	atomic_t runtime_suspends;
	atomic_t runtime_resumes;

	/* ACPI notify codes: a ring of the last VS_NOTIFY_LOG, and the total, under notify_lock. */
	acpi_handle acpi;
	spinlock_t notify_lock;
	u32 notify_log[VS_NOTIFY_LOG];
	unsigned int notify_count;

	void *a;
	void *b;
	dma_addr_t a_dma;
	dma_addr_t b_dma;

	/* Serialises run_dma writers; the IRQ handler only touches the fields below it. */
	struct mutex lock;
	struct completion done;
	u32 last_status;
	atomic_t irqs;
	/* Calls with nothing pending: a shared line, or an INTx delivered again after its ack. */
	atomic_t spurious;
};

static void vs_write64(struct vs_device *vs, u32 reg, u64 value)
{
	/* The device takes 64-bit registers as two 4-byte halves. */
	writel(lower_32_bits(value), vs->regs + reg);
	writel(upper_32_bits(value), vs->regs + reg + 4);
}

static irqreturn_t vs_interrupt(int irq, void *data)
{
	struct vs_device *vs = data;
	u32 status;

	/* Suspended, the device raises nothing; a shared INTx line may still call us. */
	if (READ_ONCE(vs->suspended))
		return IRQ_NONE;

	/* INTx may be shared: only a pending completion is ours. */
	if (!(readl(vs->regs + VS_REG_INT_STATUS) & VS_INT_DONE)) {
		atomic_inc(&vs->spurious);
		return IRQ_NONE;
	}

	status = readl(vs->regs + VS_REG_STATUS);
	writel(status & (VS_STATUS_DONE | VS_STATUS_ERROR), vs->regs + VS_REG_STATUS);
	/* Deasserts INTx; with MSI-X it only clears the status. */
	writel(VS_INT_DONE, vs->regs + VS_REG_INT_ACK);

	WRITE_ONCE(vs->last_status, status);
	atomic_inc(&vs->irqs);
	complete(&vs->done);
	return IRQ_HANDLED;
}

/* Runs one DMA and waits for its interrupt; returns NULL or why it failed. */
static const char *vs_dma(struct vs_device *vs, u32 direction, u64 source, u64 destination)
{
	u32 status;

	reinit_completion(&vs->done);
	vs_write64(vs, VS_REG_SOURCE, source);
	vs_write64(vs, VS_REG_DESTINATION, destination);
	writel(vs->length, vs->regs + VS_REG_LENGTH);
	writel(direction | VS_COMMAND_START, vs->regs + VS_REG_COMMAND);

	if (!wait_for_completion_timeout(&vs->done, msecs_to_jiffies(READ_ONCE(timeout_ms))))
		return "no completion interrupt";
	status = READ_ONCE(vs->last_status);
	if (status & VS_STATUS_ERROR)
		return "device reported ERROR";
	if (!(status & VS_STATUS_DONE))
		return "interrupt without DONE";
	return NULL;
}

static void vs_fill(u32 *words, u32 count, u32 round)
{
	u32 i;

	for (i = 0; i < count; i++)
		words[i] = (round << 16) ^ (i * 0x9e3779b1u);
}

/* One round trip: A → device buffer (checked through BAR2) → B, compared with A. */
static const char *vs_round(struct vs_device *vs, u32 round)
{
	const char *failure;

	vs_fill(vs->a, vs->length / 4, round);
	memset(vs->b, 0, vs->length);

	failure = vs_dma(vs, VS_DIR_MEM_TO_BUFFER, vs->a_dma, 0);
	if (failure)
		return failure;
	memcpy_fromio(vs->b, vs->buffer, vs->length);
	if (memcmp(vs->a, vs->b, vs->length))
		return "device buffer differs after mem->buffer";

	memset(vs->b, 0, vs->length);
	failure = vs_dma(vs, VS_DIR_BUFFER_TO_MEM, 0, vs->b_dma);
	if (failure)
		return failure;
	if (memcmp(vs->a, vs->b, vs->length))
		return "memory differs after buffer->mem";
	return NULL;
}

static const char *vs_mode(struct vs_device *vs)
{
	return vs->intx ? "intx" : "msix";
}

static ssize_t run_dma_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct vs_device *vs = dev_get_drvdata(dev);
	const char *failure = NULL;
	unsigned int rounds, round;
	int irqs_before, spurious_before, ret;

	ret = kstrtouint(buf, 0, &rounds);
	if (ret)
		return ret;
	if (rounds < 1 || rounds > VS_MAX_ROUNDS)
		return -EINVAL;

	/* The device must be powered for the whole run; it may suspend again after. */
	ret = pm_runtime_resume_and_get(dev);
	if (ret)
		return ret;
	mutex_lock(&vs->lock);
	irqs_before = atomic_read(&vs->irqs);
	spurious_before = atomic_read(&vs->spurious);
	for (round = 0; round < rounds && !failure; round++)
		failure = vs_round(vs, round);

	if (failure) {
		dev_err(dev, "dma FAILED round=%u: %s irqs=%d spurious=%d completions=%u mode=%s\n",
			round - 1, failure, atomic_read(&vs->irqs) - irqs_before,
			atomic_read(&vs->spurious) - spurious_before,
			readl(vs->regs + VS_REG_COMPLETED), vs_mode(vs));
		ret = -EIO;
	} else {
		dev_info(dev, "dma ok rounds=%u irqs=%d spurious=%d completions=%u mode=%s\n",
			 rounds, atomic_read(&vs->irqs) - irqs_before,
			 atomic_read(&vs->spurious) - spurious_before,
			 readl(vs->regs + VS_REG_COMPLETED), vs_mode(vs));
		ret = count;
	}
	mutex_unlock(&vs->lock);
	pm_runtime_put(dev);
	return ret;
}
static DEVICE_ATTR_WO(run_dma);

static ssize_t irqs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&vs->irqs));
}
static DEVICE_ATTR_RO(irqs);

static ssize_t spurious_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&vs->spurious));
}
static DEVICE_ATTR_RO(spurious);

static ssize_t completions_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);
	u32 completed;
	int ret;

	/* A register read needs a powered device: this wakes a suspended one. */
	ret = pm_runtime_resume_and_get(dev);
	if (ret)
		return ret;
	completed = readl(vs->regs + VS_REG_COMPLETED);
	pm_runtime_put(dev);
	return sysfs_emit(buf, "%u\n", completed);
}
static DEVICE_ATTR_RO(completions);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", vs_mode(dev_get_drvdata(dev)));
}
static DEVICE_ATTR_RO(mode);

static ssize_t runtime_suspends_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&vs->runtime_suspends));
}
static DEVICE_ATTR_RO(runtime_suspends);

static ssize_t runtime_resumes_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&vs->runtime_resumes));
}
static DEVICE_ATTR_RO(runtime_resumes);

static ssize_t acpi_notify_log_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);
	u32 codes[VS_NOTIFY_LOG];
	unsigned int total, kept, i;
	int len = 0;

	/* Copied out under the lock; formatted outside it. */
	spin_lock_irq(&vs->notify_lock);
	total = vs->notify_count;
	kept = min_t(unsigned int, total, VS_NOTIFY_LOG);
	for (i = 0; i < kept; i++)
		codes[i] = vs->notify_log[(total - kept + i) % VS_NOTIFY_LOG];
	spin_unlock_irq(&vs->notify_lock);

	/* At most 64 * "0xNNNNNNNN " fits a page many times over. */
	for (i = 0; i < kept; i++)
		len += sysfs_emit_at(buf, len, "%s0x%02x", i ? " " : "", codes[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(acpi_notify_log);

static ssize_t acpi_notify_count_show(struct device *dev, struct device_attribute *attr,
				      char *buf)
{
	struct vs_device *vs = dev_get_drvdata(dev);
	unsigned int total;

	spin_lock_irq(&vs->notify_lock);
	total = vs->notify_count;
	spin_unlock_irq(&vs->notify_lock);
	return sysfs_emit(buf, "%u\n", total);
}
static DEVICE_ATTR_RO(acpi_notify_count);

static struct attribute *vs_attrs[] = {
	&dev_attr_run_dma.attr,
	&dev_attr_irqs.attr,
	&dev_attr_spurious.attr,
	&dev_attr_completions.attr,
	&dev_attr_mode.attr,
	&dev_attr_runtime_suspends.attr,
	&dev_attr_runtime_resumes.attr,
	&dev_attr_acpi_notify_log.attr,
	&dev_attr_acpi_notify_count.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vs);

/*
 * Every Notify on the device's ACPI object, system (0x00-0x7f) and device (0x80-0xff) codes
 * alike. It runs in ACPI's notify work, in order, and never touches the device (it may be in
 * D3cold): the PCI core's own handler resumes it on 0x2 (device wake).
 */
static void vs_acpi_notify(acpi_handle handle, u32 event, void *data)
{
	struct vs_device *vs = data;
	unsigned int number;

	spin_lock_irq(&vs->notify_lock);
	vs->notify_log[vs->notify_count % VS_NOTIFY_LOG] = event;
	number = ++vs->notify_count;
	spin_unlock_irq(&vs->notify_lock);
	dev_info(&vs->pdev->dev, "acpi notify 0x%02x (#%u)\n", event, number);
}

/* Nothing is left pending that could look like the next DMA's completion. */
static void vs_clear_completion(struct vs_device *vs)
{
	writel(VS_STATUS_DONE | VS_STATUS_ERROR, vs->regs + VS_REG_STATUS);
	writel(VS_INT_DONE, vs->regs + VS_REG_INT_ACK);
}

/*
 * Runs with no DMA in flight (run_dma holds a usage reference) and before the PCI core saves
 * config space and lowers the power state.
 */
static int vs_runtime_suspend(struct device *dev)
{
	struct vs_device *vs = dev_get_drvdata(dev);

	vs->saved_scratch = readl(vs->regs + VS_REG_SCRATCH);
	WRITE_ONCE(vs->suspended, true);
	/* A shared INTx line stays enabled for its other users; the flag keeps us off it. */
	if (vs->intx)
		synchronize_irq(vs->irq);
	else
		disable_irq(vs->irq);
	atomic_inc(&vs->runtime_suspends);
	return 0;
}

/* Runs after the PCI core restored power and config space (BARs, MSI-X). */
static int vs_runtime_resume(struct device *dev)
{
	struct vs_device *vs = dev_get_drvdata(dev);
	u32 id = readl(vs->regs + VS_REG_ID);

	if (id != VS_ID) {
		/*
		 * Powered but not answering: the PM core records the error and refuses further
		 * runtime PM for the device, so a dead device shows as such (runtime_status error).
		 */
		dev_err(dev, "runtime resume: ID reads %#x, not VIRE\n", id);
		return -EIO;
	}
	/* What D3cold may have lost: SCRATCH back, no stale completion. */
	writel(vs->saved_scratch, vs->regs + VS_REG_SCRATCH);
	vs_clear_completion(vs);
	WRITE_ONCE(vs->suspended, false);
	if (!vs->intx)
		enable_irq(vs->irq);
	atomic_inc(&vs->runtime_resumes);
	return 0;
}

static const struct dev_pm_ops vs_pm_ops = {
	RUNTIME_PM_OPS(vs_runtime_suspend, vs_runtime_resume, NULL)
};

static int vs_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct vs_device *vs;
	u32 version, size;
	int ret;

	vs = devm_kzalloc(dev, sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return -ENOMEM;
	vs->pdev = pdev;
	vs->intx = !strcmp(irq_mode, "intx");
	mutex_init(&vs->lock);
	init_completion(&vs->done);
	atomic_set(&vs->irqs, 0);
	atomic_set(&vs->spurious, 0);
	atomic_set(&vs->runtime_suspends, 0);
	atomic_set(&vs->runtime_resumes, 0);
	spin_lock_init(&vs->notify_lock);
	pci_set_drvdata(pdev, vs);

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable the device\n");
	ret = pcim_iomap_regions(pdev, BIT(VS_REGS_BAR) | BIT(VS_BUFFER_BAR), VS_NAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot map BAR0 and BAR2\n");
	vs->regs = pcim_iomap_table(pdev)[VS_REGS_BAR];
	vs->buffer = pcim_iomap_table(pdev)[VS_BUFFER_BAR];

	if (readl(vs->regs + VS_REG_ID) != VS_ID)
		return dev_err_probe(dev, -ENODEV, "ID reads %#x, not VIRE\n",
				     readl(vs->regs + VS_REG_ID));
	version = readl(vs->regs + VS_REG_VERSION);
	size = readl(vs->regs + VS_REG_BUFFER_SIZE);
	if (!size || size % 4 || size > pci_resource_len(pdev, VS_BUFFER_BAR))
		return dev_err_probe(dev, -ENODEV, "bad buffer size %u\n", size);
	vs->length = min_t(u32, size, VS_MAX_LENGTH);

	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return dev_err_probe(dev, ret, "no 64-bit DMA\n");
	vs->a = dmam_alloc_coherent(dev, vs->length, &vs->a_dma, GFP_KERNEL);
	vs->b = dmam_alloc_coherent(dev, vs->length, &vs->b_dma, GFP_KERNEL);
	if (!vs->a || !vs->b)
		return -ENOMEM;

	/* Nothing left over from an earlier driver may look like our first completion. */
	vs_clear_completion(vs);

	ret = pci_alloc_irq_vectors(pdev, 1, 1, vs->intx ? PCI_IRQ_INTX : PCI_IRQ_MSIX);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot allocate an %s vector\n", vs_mode(vs));
	vs->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(vs->irq, vs_interrupt, vs->intx ? IRQF_SHARED : 0, VS_NAME, vs);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return dev_err_probe(dev, ret, "cannot request irq %d\n", vs->irq);
	}

	/* ACPI notify codes for this device only: its own companion object. */
	vs->acpi = ACPI_HANDLE(dev);
	if (vs->acpi) {
		acpi_status status = acpi_install_notify_handler(vs->acpi, ACPI_ALL_NOTIFY,
								 vs_acpi_notify, vs);

		if (ACPI_FAILURE(status)) {
			dev_warn(dev, "cannot install the ACPI notify handler: %s\n",
				 acpi_format_exception(status));
			vs->acpi = NULL;
		}
	}

	dev_info(dev, "version %u.%u, %u-byte DMA through a %u-byte buffer, irq %d (%s), acpi notify %s\n",
		 version >> 16, version & 0xffff, vs->length, size, vs->irq, vs_mode(vs),
		 vs->acpi ? "on" : "off");

	/*
	 * The PCI core holds a usage reference across probe; dropping it lets the device
	 * runtime-suspend once user space allows it (power/control = auto).
	 */
	pm_runtime_put_noidle(dev);
	return 0;
}

static void vs_remove(struct pci_dev *pdev)
{
	struct vs_device *vs = pci_get_drvdata(pdev);

	/* Balances probe's put; the PCI core resumed the device before calling us. */
	pm_runtime_get_noresume(&pdev->dev);
	/* Waits for a handler already running; none starts after. */
	if (vs->acpi)
		acpi_remove_notify_handler(vs->acpi, ACPI_ALL_NOTIFY, vs_acpi_notify);
	/* The sysfs attributes are gone by now, so no DMA is being started. */
	free_irq(vs->irq, vs);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
}

static const struct pci_device_id vs_ids[] = {
	{ PCI_DEVICE(VS_VENDOR_ID, VS_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vs_ids);

static struct pci_driver vs_driver = {
	.name = VS_NAME,
	.id_table = vs_ids,
	.probe = vs_probe,
	.remove = vs_remove,
	.driver.pm = pm_ptr(&vs_pm_ops),
	/* pci_driver's own field: __pci_register_driver copies it over driver.dev_groups. */
	.dev_groups = vs_groups,
};

static int __init vs_init(void)
{
	if (strcmp(irq_mode, "msix") && strcmp(irq_mode, "intx")) {
		pr_err(VS_NAME ": irq_mode=%s: give msix or intx\n", irq_mode);
		return -EINVAL;
	}
	return pci_register_driver(&vs_driver);
}
module_init(vs_init);

static void __exit vs_exit(void)
{
	pci_unregister_driver(&vs_driver);
}
module_exit(vs_exit);

MODULE_DESCRIPTION("Driver for Vireo's sample vfio-user accelerator (1af4:10f1)");
MODULE_LICENSE("GPL");
