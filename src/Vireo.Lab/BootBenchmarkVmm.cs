namespace Vireo.Lab;

/// <summary>The two VMMs the boot benchmark compares inside one L1.</summary>
public enum BootBenchmarkVmm
{
    /// <summary>Vireo's <c>vireo run</c>.</summary>
    Vireo,

    /// <summary>Debian's qemu-system-x86_64 with -M microvm -enable-kvm -cpu host.</summary>
    Qemu,
}
