using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>The /dev/kvm fd: capability queries, host-wide lists, and VM creation.</summary>
public sealed class KvmSystem : IDisposable
{
    /// <summary>The KVM device node.</summary>
    public const string DefaultPath = "/dev/kvm";

    private readonly SafeFd _fd;

    private KvmSystem(SafeFd fd)
    {
        _fd = fd;
    }

    /// <summary>The /dev/kvm descriptor.</summary>
    public SafeFd Handle => _fd;

    /// <summary>
    /// Opens <paramref name="path"/> read-write; throws <see cref="ErrnoException"/> (ENOENT
    /// without KVM, EACCES without access to it).
    /// </summary>
    public static KvmSystem Open(string path = DefaultPath) => new(SafeFd.Open(path, OpenFlags.ReadWrite));

    /// <summary>KVM_GET_API_VERSION; 12 on every kernel since 2.6.22.</summary>
    public int ApiVersion => Ioctl.Invoke(_fd, KvmIoctls.GetApiVersion, 0, "KVM_GET_API_VERSION");

    /// <summary>KVM_GET_VCPU_MMAP_SIZE: bytes of the kvm_run mapping of each vCPU.</summary>
    public int VcpuMmapSize => Ioctl.Invoke(_fd, KvmIoctls.GetVcpuMmapSize, 0, "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>The vendor module behind /dev/kvm on this host.</summary>
    public KvmBackend Backend => DetectBackend("/sys", System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture);

    /// <summary>KVM_CHECK_EXTENSION: 0 if unsupported, otherwise 1 or a capability-specific number.</summary>
    public int CheckExtension(KvmCapability capability)
        => Ioctl.Invoke(_fd, KvmIoctls.CheckExtension, (nint)capability, "KVM_CHECK_EXTENSION");

    /// <summary>Names the vendor module from <c>module/kvm_*</c> under <paramref name="sysfsRoot"/>.
    /// kvm_pvm is checked first: it can be loaded beside kvm_intel or kvm_amd and then serves /dev/kvm.
    /// On an arm64 host KVM has no vendor module (module/kvm is there for a built-in KVM too).</summary>
    internal static KvmBackend DetectBackend(string sysfsRoot, System.Runtime.InteropServices.Architecture architecture)
    {
        string modules = Path.Combine(sysfsRoot, "module");
        if (architecture == System.Runtime.InteropServices.Architecture.Arm64)
        {
            return Directory.Exists(Path.Combine(modules, "kvm")) ? KvmBackend.Arm64 : KvmBackend.Unknown;
        }
        if (Directory.Exists(Path.Combine(modules, "kvm_pvm")))
        {
            return KvmBackend.Pvm;
        }
        if (Directory.Exists(Path.Combine(modules, "kvm_intel")))
        {
            return KvmBackend.Intel;
        }
        return Directory.Exists(Path.Combine(modules, "kvm_amd")) ? KvmBackend.Amd : KvmBackend.Unknown;
    }

    /// <summary>KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can give a guest.</summary>
    public KvmCpuidEntry2[] GetSupportedCpuid() =>
        KvmBuffers.GrowUntilFits<KvmCpuid2Header, KvmCpuidEntry2>(
            _fd, KvmIoctls.GetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID", capacity => new KvmCpuid2Header { Nent = (uint)capacity }, h => (int)h.Nent);

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a vCPU.</summary>
    public uint[] GetMsrIndexList() =>
        KvmBuffers.GrowUntilFits<KvmMsrListHeader, uint>(
            _fd, KvmIoctls.GetMsrIndexList, "KVM_GET_MSR_INDEX_LIST", capacity => new KvmMsrListHeader { Nmsrs = (uint)capacity }, h => (int)h.Nmsrs);

    /// <summary>KVM_CREATE_VM with the default machine type. The kernel can fail it with EINTR
    /// while it sets up the address space; that is retried.</summary>
    public KvmVm CreateVm()
    {
        int runSize = VcpuMmapSize;
        while (true)
        {
            int fd = Ioctl.TryInvoke(_fd, KvmIoctls.CreateVm, 0);
            if (fd >= 0)
            {
                return new KvmVm(SafeFd.FromOwned(fd), runSize);
            }
            if (-fd != Errno.EINTR)
            {
                throw new ErrnoException(-fd, "KVM_CREATE_VM");
            }
        }
    }

    /// <summary>Closes /dev/kvm; VMs created from it stay usable.</summary>
    public void Dispose() => _fd.Dispose();
}
