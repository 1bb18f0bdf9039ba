namespace Vireo.Lab;

/// <summary>The architecture of the nested lab's L1 (and so of the Vireo that runs there and of
/// its guests). x86-64: QEMU TCG emulating an AMD CPU with SVM and nested paging, L1 on kvm-amd.
/// arm64: QEMU TCG's `virt` machine with EL2 (virtualization=on) and a GICv3, L1 on Debian's
/// arm64 kernel, whose KVM is built in (VHE).</summary>
public enum LabArchitecture
{
    /// <summary>x86-64 (the default lab).</summary>
    X64,

    /// <summary>arm64 (AArch64).</summary>
    Arm64,
}

/// <summary>What differs between the labs' architectures, in one place.</summary>
public static class LabArchitectures
{
    /// <summary>The QEMU system emulator that boots L1.</summary>
    public static string Qemu(this LabArchitecture architecture) =>
        architecture == LabArchitecture.Arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64";

    /// <summary>The Debian package of <see cref="Qemu"/>.</summary>
    public static string QemuPackage(this LabArchitecture architecture) =>
        architecture == LabArchitecture.Arm64 ? "qemu-system-arm" : "qemu-system-x86";

    /// <summary>L1's first UART as its kernel names it: the PC's 8250 or the virt machine's PL011.
    /// L1's /init speaks the lab's command protocol on it.</summary>
    public static string ConsoleTty(this LabArchitecture architecture) =>
        architecture == LabArchitecture.Arm64 ? "ttyAMA0" : "ttyS0";

    /// <summary>The .NET runtime identifier a NativeAOT program for this L1 is published for.</summary>
    public static string RuntimeIdentifier(this LabArchitecture architecture) =>
        architecture == LabArchitecture.Arm64 ? "linux-arm64" : "linux-x64";

    /// <summary>Debian's name of the architecture (dpkg --print-architecture).</summary>
    public static string DebianArchitecture(this LabArchitecture architecture) =>
        architecture == LabArchitecture.Arm64 ? "arm64" : "amd64";

    /// <summary>The L1 kernel's metapackage: Debian 12's cloud kernel on x86-64; on arm64 the 6.12
    /// series bookworm-security carries (linux-image-6.12-arm64), because KVM's SMCCC filter,
    /// which forwards SDEI calls to the VMM, needs Linux 6.4.</summary>
    public static string L1KernelMetaPackage(this LabArchitecture architecture, L1Kernel kernel) =>
        architecture == LabArchitecture.Arm64 ? "linux-image-6.12-arm64" : StockKernel.MetaPackage(kernel);

    /// <summary>The lab's architecture from a `--arch` word (x86_64/x64/amd64, arm64/aarch64), or null.</summary>
    public static LabArchitecture? Parse(string text) => text.ToLowerInvariant() switch
    {
        "x86_64" or "x64" or "amd64" or "x86-64" => LabArchitecture.X64,
        "arm64" or "aarch64" => LabArchitecture.Arm64,
        _ => null,
    };
}
