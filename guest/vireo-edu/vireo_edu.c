// SPDX-License-Identifier: GPL-2.0
/*
 * vireo_edu: a checker for QEMU's educational PCI device "edu" (1234:11e8), which the stock
 * Debian kernel has no driver for. The nested lab assigns an L1 edu to a guest through the
 * kernel's VFIO, and this module proves from inside the guest that the device works there.
 *
 * At probe, and again on each write to the run attribute, it checks the device and logs one
 * line per check that a test can parse, then a summary:
 *
 *   vireo_edu 0000:00:03.0: id ok value=0x010000ed
 *   vireo_edu 0000:00:03.0: liveness ok wrote=0x5a5a0001 read=0xa5a5fffe
 *   vireo_edu 0000:00:03.0: factorial ok n=12 result=479001600
 *   vireo_edu 0000:00:03.0: dma ok bytes=2048
 *   vireo_edu 0000:00:03.0: irq ok raised=10 irqs=10 spurious=0 mode=intx
 *   vireo_edu 0000:00:03.0: checks ok passed=5 failed=0 mode=intx
 *
 * A failed check logs "CHECK FAILED: REASON key=value..." and the summary "checks FAILED
 * passed=P failed=F mode=M". irqs counts handler calls that found an interrupt pending, one
 * for each of the raised ones (each raised only after the previous one was handled);
 * spurious counts calls with nothing pending (a shared INTx line, or one delivered again
 * after its acknowledgement). The attributes irqs and spurious read the totals since probe.
 *
 * Runtime PM: probe ends with pm_runtime_put_noidle, so `echo auto > power/control` lets the
 * PCI core suspend the idle device. edu has no PCI PM capability of its own; assigned by
 * Vireo it gets a virtual one (D0/D3hot, no PME), without which Linux would not allow D3cold,
 * so the core puts it in D3hot and then turns the slot's ACPI power resource (_PR3) off.
 * The device cannot signal a wake (no PME), so only an access from the guest brings it back:
 * a write to run resumes it first (the core turns power back on through ACPI) and lets it
 * suspend again after. runtime_suspend only quiesces: no check runs then (each holds a usage
 * reference) and the handler keeps off the device. runtime_resume checks that the
 * identification register still reads as edu's and fails with -EIO otherwise. The
 * attributes runtime_suspends and runtime_resumes count the driver's callbacks.
 *
 * The register map is QEMU's docs/specs/edu.rst (QEMU 7.2: identification 0x010000ed).
 */

#include <linux/completion.h>
#include <linux/delay.h>
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
#include <linux/string.h>

/* Linux 6.8 named INTx PCI_IRQ_INTX, and 6.10 dropped the old name (6.1 has only that). */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

#define VE_NAME			"vireo_edu"

#define VE_VENDOR_ID		0x1234
#define VE_DEVICE_ID		0x11e8

/* BAR0 registers; below 0x80 only 4-byte accesses are allowed. */
#define VE_REG_ID		0x00
#define VE_REG_LIVENESS		0x04
#define VE_REG_FACTORIAL	0x08
#define VE_REG_STATUS		0x20
#define VE_REG_IRQ_STATUS	0x24
#define VE_REG_IRQ_RAISE	0x60
#define VE_REG_IRQ_ACK		0x64
#define VE_REG_DMA_SOURCE	0x80
#define VE_REG_DMA_DESTINATION	0x88
#define VE_REG_DMA_COUNT	0x90
#define VE_REG_DMA_COMMAND	0x98

#define VE_ID_MAGIC		0xed	/* the low byte; the version is in the top two */
#define VE_STATUS_COMPUTING	BIT(0)
#define VE_DMA_START		BIT(0)
#define VE_DMA_TO_RAM		BIT(1)
#define VE_DEVICE_BUFFER	0x40000	/* the device's 4096-byte buffer, as a DMA address */
/*
 * Less than the whole buffer, and not at its start: QEMU 7.2's edu treats a transfer that
 * ends exactly at the buffer's end as out of bounds, and that is a hw_error, which aborts
 * the QEMU that emulates edu (in the lab: L1's, so the whole lab).
 */
#define VE_DMA_OFFSET		0x100
#define VE_DMA_SIZE		2048
/* The device clamps DMA addresses to 28 bits unless QEMU is told otherwise. */
#define VE_DMA_BITS		28
#define VE_FACTORIAL_N		12	/* 479001600: the largest that fits 32 bits */
#define VE_FACTORIAL_RESULT	479001600u
#define VE_MAX_IRQS		100000

static char *irq_mode = "intx";
module_param(irq_mode, charp, 0444);
MODULE_PARM_DESC(irq_mode, "Interrupt: intx (default) or msi");

static unsigned int irqs = 10;
module_param(irqs, uint, 0644);
MODULE_PARM_DESC(irqs, "How many interrupts the irq check raises, one at a time (default 10)");

/* Generous: in the nested lab every register access is an emulated exit. */
static unsigned int timeout_ms = 5000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long one interrupt, DMA or factorial may take, in ms (default 5000)");

/*
 * edu's DMA reaches 28 bits unless QEMU's dma_mask says more; an arm64 guest's RAM starts at
 * 1 GiB, so the arm64 lab gives edu 40 bits and loads this with dma_bits=40.
 */
static unsigned int dma_bits = VE_DMA_BITS;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "The device's DMA address width in bits (default 28, edu's own)");

struct ve_device {
	struct pci_dev *pdev;
	void __iomem *regs;
	bool msi;
	u32 runs;

	void *a;
	void *b;
	dma_addr_t a_dma;
	dma_addr_t b_dma;

	/* Serialises check runs; the IRQ handler only touches the fields below it. */
	struct mutex lock;
	struct completion raised;
	u32 last_status;
	atomic_t irqs;
	atomic_t spurious;
	/* Runtime PM: set while suspended, so the handler leaves a powered-off device alone. */
	bool suspended;
	atomic_t runtime_suspends;
	atomic_t runtime_resumes;
};

static const char *ve_mode(struct ve_device *ve)
{
	return ve->msi ? "msi" : "intx";
}

static irqreturn_t ve_interrupt(int irq, void *data)
{
	struct ve_device *ve = data;
	u32 status;

	/*
	 * Suspended, the device raises nothing, and in D3cold its status would read as all ones,
	 * which must not count as an interrupt; a shared INTx line may still call us.
	 */
	if (READ_ONCE(ve->suspended))
		return IRQ_NONE;

	/* INTx may be shared: only a pending status is ours. */
	status = readl(ve->regs + VE_REG_IRQ_STATUS);
	if (!status) {
		atomic_inc(&ve->spurious);
		return IRQ_NONE;
	}
	/* Lowers INTx; with MSI the device still wants it (edu.rst). */
	writel(status, ve->regs + VE_REG_IRQ_ACK);
	WRITE_ONCE(ve->last_status, status);
	atomic_inc(&ve->irqs);
	complete(&ve->raised);
	return IRQ_HANDLED;
}

/* Polls until (register & mask) == 0; false on timeout. */
static bool ve_wait_clear(struct ve_device *ve, u32 reg, u32 mask)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(READ_ONCE(timeout_ms));

	while (readl(ve->regs + reg) & mask) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(200, 1000);
	}
	return true;
}

static bool ve_check_id(struct ve_device *ve, struct device *dev)
{
	u32 id = readl(ve->regs + VE_REG_ID);

	if ((id & 0xff) != VE_ID_MAGIC) {
		dev_err(dev, "id FAILED: not an edu value=%#010x\n", id);
		return false;
	}
	dev_info(dev, "id ok value=%#010x version=%u.%u\n", id, id >> 24, (id >> 16) & 0xff);
	return true;
}

static bool ve_check_liveness(struct ve_device *ve, struct device *dev)
{
	u32 wrote = 0x5a5a0000u | (ve->runs & 0xffff);
	u32 read;

	writel(wrote, ve->regs + VE_REG_LIVENESS);
	read = readl(ve->regs + VE_REG_LIVENESS);
	if (read != ~wrote) {
		dev_err(dev, "liveness FAILED: not inverted wrote=%#010x read=%#010x\n", wrote, read);
		return false;
	}
	dev_info(dev, "liveness ok wrote=%#010x read=%#010x\n", wrote, read);
	return true;
}

static bool ve_check_factorial(struct ve_device *ve, struct device *dev)
{
	u32 result;

	if (!ve_wait_clear(ve, VE_REG_STATUS, VE_STATUS_COMPUTING)) {
		dev_err(dev, "factorial FAILED: busy before start n=%u\n", VE_FACTORIAL_N);
		return false;
	}
	writel(VE_FACTORIAL_N, ve->regs + VE_REG_FACTORIAL);
	if (!ve_wait_clear(ve, VE_REG_STATUS, VE_STATUS_COMPUTING)) {
		dev_err(dev, "factorial FAILED: still computing n=%u\n", VE_FACTORIAL_N);
		return false;
	}
	result = readl(ve->regs + VE_REG_FACTORIAL);
	if (result != VE_FACTORIAL_RESULT) {
		dev_err(dev, "factorial FAILED: wrong result n=%u result=%u\n", VE_FACTORIAL_N, result);
		return false;
	}
	dev_info(dev, "factorial ok n=%u result=%u\n", VE_FACTORIAL_N, result);
	return true;
}

/* One transfer, polled to its end. The addresses fit 32 bits (ve_check_dma checks), and a
 * 4-byte write sets a whole 64-bit DMA register, so no 8-byte access is needed. */
static bool ve_dma(struct ve_device *ve, u32 source, u32 destination, u32 command)
{
	writel(source, ve->regs + VE_REG_DMA_SOURCE);
	writel(destination, ve->regs + VE_REG_DMA_DESTINATION);
	writel(VE_DMA_SIZE, ve->regs + VE_REG_DMA_COUNT);
	writel(command | VE_DMA_START, ve->regs + VE_REG_DMA_COMMAND);
	return ve_wait_clear(ve, VE_REG_DMA_COMMAND, VE_DMA_START);
}

/* A pattern from RAM (A) into the device's buffer, then from there into RAM at B. */
static bool ve_check_dma(struct ve_device *ve, struct device *dev)
{
	u32 *words = ve->a;
	u32 i;

	for (i = 0; i < VE_DMA_SIZE / 4; i++)
		words[i] = (ve->runs << 20) ^ (i * 0x9e3779b1u);
	memset(ve->b, 0, VE_DMA_SIZE);

	/* ve_dma writes 32-bit addresses: with dma_bits above 32 the buffers may be out of reach. */
	if (upper_32_bits(ve->a_dma) || upper_32_bits(ve->b_dma)) {
		dev_err(dev, "dma FAILED: buffers above 4 GiB bytes=%u\n", VE_DMA_SIZE);
		return false;
	}
	if (!ve_dma(ve, (u32)ve->a_dma, VE_DEVICE_BUFFER + VE_DMA_OFFSET, 0)) {
		dev_err(dev, "dma FAILED: RAM to device did not finish bytes=%u\n", VE_DMA_SIZE);
		return false;
	}
	if (!ve_dma(ve, VE_DEVICE_BUFFER + VE_DMA_OFFSET, (u32)ve->b_dma, VE_DMA_TO_RAM)) {
		dev_err(dev, "dma FAILED: device to RAM did not finish bytes=%u\n", VE_DMA_SIZE);
		return false;
	}
	if (memcmp(ve->a, ve->b, VE_DMA_SIZE)) {
		for (i = 0; i < VE_DMA_SIZE && ((u8 *)ve->a)[i] == ((u8 *)ve->b)[i]; i++)
			;
		dev_err(dev, "dma FAILED: copy differs bytes=%u first_difference=%u\n", VE_DMA_SIZE, i);
		return false;
	}
	dev_info(dev, "dma ok bytes=%u\n", VE_DMA_SIZE);
	return true;
}

/* Raises the interrupts one at a time, each only after the handler saw the one before. */
static bool ve_check_irqs(struct ve_device *ve, struct device *dev, unsigned int count)
{
	int irqs_before = atomic_read(&ve->irqs);
	int spurious_before = atomic_read(&ve->spurious);
	const char *failure = NULL;
	unsigned int raised;
	u32 value = 0;

	for (raised = 0; raised < count && !failure; raised++) {
		/* A different bit each time, so a stale status is told from a fresh one. */
		value = BIT(raised % 16) << 8;
		reinit_completion(&ve->raised);
		writel(value, ve->regs + VE_REG_IRQ_RAISE);
		if (!wait_for_completion_timeout(&ve->raised, msecs_to_jiffies(READ_ONCE(timeout_ms))))
			failure = "no interrupt";
		else if (READ_ONCE(ve->last_status) != value)
			failure = "handler saw another status";
	}
	if (!failure && atomic_read(&ve->irqs) - irqs_before != count)
		failure = "handler calls differ from interrupts raised";
	if (failure) {
		dev_err(dev, "irq FAILED: %s raised=%u irqs=%d spurious=%d status=%#x expected=%#x mode=%s\n",
			failure, raised, atomic_read(&ve->irqs) - irqs_before,
			atomic_read(&ve->spurious) - spurious_before, READ_ONCE(ve->last_status), value,
			ve_mode(ve));
		return false;
	}
	dev_info(dev, "irq ok raised=%u irqs=%d spurious=%d mode=%s\n", raised,
		 atomic_read(&ve->irqs) - irqs_before, atomic_read(&ve->spurious) - spurious_before,
		 ve_mode(ve));
	return true;
}

/* Every check, in order; returns how many failed. The device must be powered (resumed). */
static unsigned int ve_run_checks(struct ve_device *ve)
{
	struct device *dev = &ve->pdev->dev;
	unsigned int passed = 0, failed = 0;
	bool ok[5];
	unsigned int i;

	mutex_lock(&ve->lock);
	ve->runs++;
	ok[0] = ve_check_id(ve, dev);
	ok[1] = ve_check_liveness(ve, dev);
	ok[2] = ve_check_factorial(ve, dev);
	ok[3] = ve_check_dma(ve, dev);
	ok[4] = ve_check_irqs(ve, dev, min(READ_ONCE(irqs), (unsigned int)VE_MAX_IRQS));
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		if (ok[i])
			passed++;
		else
			failed++;
	}
	if (failed)
		dev_err(dev, "checks FAILED passed=%u failed=%u mode=%s\n", passed, failed, ve_mode(ve));
	else
		dev_info(dev, "checks ok passed=%u failed=0 mode=%s\n", passed, ve_mode(ve));
	mutex_unlock(&ve->lock);
	return failed;
}

static ssize_t run_store(struct device *dev, struct device_attribute *attr, const char *buf,
			 size_t count)
{
	unsigned int failed;
	int ret;

	/* The device must be powered for the whole run; it may suspend again after. */
	ret = pm_runtime_resume_and_get(dev);
	if (ret)
		return ret;
	failed = ve_run_checks(dev_get_drvdata(dev));
	pm_runtime_put(dev);
	return failed ? -EIO : count;
}
static DEVICE_ATTR_WO(run);

static ssize_t irqs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct ve_device *ve = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&ve->irqs));
}
static DEVICE_ATTR_RO(irqs);

static ssize_t spurious_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct ve_device *ve = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&ve->spurious));
}
static DEVICE_ATTR_RO(spurious);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", ve_mode(dev_get_drvdata(dev)));
}
static DEVICE_ATTR_RO(mode);

static ssize_t runtime_suspends_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	struct ve_device *ve = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&ve->runtime_suspends));
}
static DEVICE_ATTR_RO(runtime_suspends);

static ssize_t runtime_resumes_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct ve_device *ve = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&ve->runtime_resumes));
}
static DEVICE_ATTR_RO(runtime_resumes);

static struct attribute *ve_attrs[] = {
	&dev_attr_run.attr,
	&dev_attr_irqs.attr,
	&dev_attr_spurious.attr,
	&dev_attr_mode.attr,
	&dev_attr_runtime_suspends.attr,
	&dev_attr_runtime_resumes.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ve);

/*
 * Runs with no check in flight (run holds a usage reference) and before the PCI core saves
 * config space and lowers the power state. Nothing probe set up is undone: the vectors stay
 * allocated and the handler requested, so resume has nothing to rebuild.
 */
static int ve_runtime_suspend(struct device *dev)
{
	struct ve_device *ve = dev_get_drvdata(dev);

	WRITE_ONCE(ve->suspended, true);
	/* A handler already past the flag finishes before the device loses power. */
	synchronize_irq(pci_irq_vector(ve->pdev, 0));
	atomic_inc(&ve->runtime_suspends);
	return 0;
}

/* Runs after the PCI core restored power and config space (BAR, command, MSI). */
static int ve_runtime_resume(struct device *dev)
{
	struct ve_device *ve = dev_get_drvdata(dev);
	u32 id = readl(ve->regs + VE_REG_ID);

	/* The same test as the id check; a device still powered off reads all ones. */
	if ((id & 0xff) != VE_ID_MAGIC) {
		/*
		 * Powered but not answering as edu: the PM core records the error and refuses
		 * further runtime PM for the device, so it shows as such (runtime_status error).
		 * Not worded as a check line, so the lab's parser does not take it for one.
		 */
		dev_err(dev, "runtime resume: identification reads %#010x, not an edu\n", id);
		return -EIO;
	}
	/* Nothing raised before the suspend may count as the next check's interrupt. */
	writel(~0u, ve->regs + VE_REG_IRQ_ACK);
	WRITE_ONCE(ve->suspended, false);
	atomic_inc(&ve->runtime_resumes);
	return 0;
}

static const struct dev_pm_ops ve_pm_ops = {
	RUNTIME_PM_OPS(ve_runtime_suspend, ve_runtime_resume, NULL)
};

static int ve_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct ve_device *ve;
	int ret;

	ve = devm_kzalloc(dev, sizeof(*ve), GFP_KERNEL);
	if (!ve)
		return -ENOMEM;
	ve->pdev = pdev;
	ve->msi = !strcmp(irq_mode, "msi");
	mutex_init(&ve->lock);
	init_completion(&ve->raised);
	atomic_set(&ve->irqs, 0);
	atomic_set(&ve->spurious, 0);
	atomic_set(&ve->runtime_suspends, 0);
	atomic_set(&ve->runtime_resumes, 0);
	pci_set_drvdata(pdev, ve);

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable the device\n");
	ret = pcim_iomap_regions(pdev, BIT(0), VE_NAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot map BAR0\n");
	ve->regs = pcim_iomap_table(pdev)[0];

	pci_set_master(pdev);
	if (dma_bits < 24 || dma_bits > 64)
		return dev_err_probe(dev, -EINVAL, "dma_bits=%u is not 24 to 64\n", dma_bits);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return dev_err_probe(dev, ret, "no %u-bit DMA\n", dma_bits);
	ve->a = dmam_alloc_coherent(dev, VE_DMA_SIZE, &ve->a_dma, GFP_KERNEL);
	ve->b = dmam_alloc_coherent(dev, VE_DMA_SIZE, &ve->b_dma, GFP_KERNEL);
	if (!ve->a || !ve->b)
		return -ENOMEM;

	/* Nothing an earlier driver left pending may count as our first interrupt. */
	writel(~0u, ve->regs + VE_REG_IRQ_ACK);

	ret = pci_alloc_irq_vectors(pdev, 1, 1, ve->msi ? PCI_IRQ_MSI : PCI_IRQ_INTX);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot allocate an %s vector\n", ve_mode(ve));
	ret = request_irq(pci_irq_vector(pdev, 0), ve_interrupt, ve->msi ? 0 : IRQF_SHARED,
			  VE_NAME, ve);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return dev_err_probe(dev, ret, "cannot request irq %d\n", pci_irq_vector(pdev, 0));
	}
	dev_info(dev, "irq %d (%s), DMA at %pad and %pad\n", pci_irq_vector(pdev, 0), ve_mode(ve),
		 &ve->a_dma, &ve->b_dma);

	/*
	 * Failed checks are logged, not fatal: the device stays bound for the run attribute.
	 * The PCI core holds a usage reference across probe, so the device is powered here.
	 */
	ve_run_checks(ve);

	/*
	 * Dropping that reference lets the device runtime-suspend once user space allows it
	 * (power/control = auto).
	 */
	pm_runtime_put_noidle(dev);
	return 0;
}

static void ve_remove(struct pci_dev *pdev)
{
	struct ve_device *ve = pci_get_drvdata(pdev);

	/* Balances probe's put; the PCI core resumed the device before calling us. */
	pm_runtime_get_noresume(&pdev->dev);
	/* The sysfs attributes are gone by now, so no check is running. */
	free_irq(pci_irq_vector(pdev, 0), ve);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
}

static const struct pci_device_id ve_ids[] = {
	{ PCI_DEVICE(VE_VENDOR_ID, VE_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ve_ids);

static struct pci_driver ve_driver = {
	.name = VE_NAME,
	.id_table = ve_ids,
	.probe = ve_probe,
	.remove = ve_remove,
	.driver.pm = pm_ptr(&ve_pm_ops),
	/* pci_driver's own field: __pci_register_driver copies it over driver.dev_groups. */
	.dev_groups = ve_groups,
};

static int __init ve_init(void)
{
	if (strcmp(irq_mode, "intx") && strcmp(irq_mode, "msi")) {
		pr_err(VE_NAME ": irq_mode=%s: give intx or msi\n", irq_mode);
		return -EINVAL;
	}
	return pci_register_driver(&ve_driver);
}
module_init(ve_init);

static void __exit ve_exit(void)
{
	pci_unregister_driver(&ve_driver);
}
module_exit(ve_exit);

MODULE_DESCRIPTION("Checker for QEMU's edu device (1234:11e8): id, liveness, factorial, DMA, interrupts");
MODULE_LICENSE("GPL");
