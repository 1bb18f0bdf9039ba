namespace Vireo.Vmm;

/// <summary>What <c>vm.info</c> reports of the VM's shape.</summary>
public sealed record VmDescription(int Cpus, ulong MemoryBytes, string? Kernel, string? Cmdline)
{
    /// <summary>The description of a VM booted from <paramref name="config"/>.</summary>
    public static VmDescription Of(LinuxVmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Cpus, config.MemoryBytes, config.KernelPath, config.Cmdline);
    }
}
