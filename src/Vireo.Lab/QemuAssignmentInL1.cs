using System.Globalization;

namespace Vireo.Lab;

/// <summary>
/// Debian's QEMU inside an L1 with device assignment (<see cref="DeviceAssignmentInL1"/>),
/// giving L1's edu to an L2 guest with `-device vfio-pci`: an independent check, with software
/// nobody here wrote, that L1's IOMMU, vfio-pci binding and group work and that the guest's edu
/// checker (<see cref="EduChecker"/>) reads the device right. The guest is the default guest
/// on a q35 machine with SeaBIOS (the PCI host bridge, INTx routing and MSI a stock kernel
/// expects), so the checker runs on the same kernel it will under Vireo.
/// </summary>
public static class QemuAssignmentInL1
{
    /// <summary>Where Debian's QEMU looks for SeaBIOS for q35 (&lt;bin&gt;/../share/seabios).</summary>
    public const string SeabiosInL1 = "/usr/share/seabios/bios-256k.bin";

    /// <summary>Adds QEMU (as <see cref="BootBenchmark.AddQemu"/> does) and the SeaBIOS image q35 boots.</summary>
    /// <exception cref="LabException">QEMU's data files or SeaBIOS are missing on the host.</exception>
    public static void AddTo(L1ImageBuilder image, string qemu)
    {
        ArgumentNullException.ThrowIfNull(image);
        BootBenchmark.AddQemu(image, qemu);
        string? bin = Path.GetDirectoryName(Path.GetFullPath(qemu));
        string seabios = bin is null ? "" : Path.GetFullPath(Path.Combine(bin, "..", "share", "seabios", "bios-256k.bin"));
        if (!File.Exists(seabios))
        {
            seabios = "/usr/share/seabios/bios-256k.bin";
        }
        if (!File.Exists(seabios))
        {
            throw new LabException($"SeaBIOS (bios-256k.bin) is missing from {Path.GetDirectoryName(seabios)}; install seabios (qemu-system-x86 depends on it)");
        }
        image.AddFile(seabios, SeabiosInL1, mode: 0x1A4); // 0644
    }

    /// <summary>The guest script that loads the edu checker with INTx, then again with MSI,
    /// each raising <paramref name="interrupts"/> interrupts, prints its result lines between
    /// "=== edu intx ===" / "=== edu msi ===" headers and powers the guest off.</summary>
    public static string GuestScript(int interrupts) => string.Create(CultureInfo.InvariantCulture, $"""
        dmesg -n 1
        for mode in intx msi; do
            dmesg -c >/dev/null
            insmod {EduChecker.GuestPath} irq_mode=$mode irqs={interrupts}
            echo "=== edu $mode ==="
            dmesg | grep {EduChecker.ModuleName}
            grep {EduChecker.ModuleName} /proc/interrupts
            rmmod {EduChecker.ModuleName}
        done
        echo "=== edu done ==="
        poweroff -f
        """).ReplaceLineEndings("\n");

    /// <summary>The L1 shell command that boots <paramref name="kernel"/> and
    /// <paramref name="initramfs"/> (L1 paths; the default guest) with QEMU on L1's kvm-amd,
    /// edu assigned with `-device vfio-pci,host=` the address L1 bound at boot, and the guest
    /// running <see cref="GuestScript"/>. QEMU's exit status is the command's.</summary>
    public static string Command(string kernel, string initramfs, int interrupts = 10, int memoryMiB = 256, int timeoutSeconds = 400)
    {
        string append = $"console=ttyS0 panic=-1 reboot=t {DefaultGuest.ScriptArgument(GuestScript(interrupts))}";
        return string.Create(CultureInfo.InvariantCulture, $"""
            edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1
            timeout {timeoutSeconds} {BootBenchmark.QemuInL1} -M q35 -enable-kvm -cpu host -smp 1 -m {memoryMiB} \
                -nodefaults -no-user-config -display none -serial stdio -no-reboot -L {BootBenchmark.QemuDataInL1} \
                -kernel {kernel} -initrd {initramfs} -append '{append}' \
                -device vfio-pci,host=$edu,rombar=0

            """).ReplaceLineEndings("\n");
    }
}
