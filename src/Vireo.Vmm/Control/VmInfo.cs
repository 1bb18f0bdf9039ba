namespace Vireo.Vmm;

/// <summary>The body of <c>GET /api/v1/vm.info</c>.</summary>
/// <param name="State">The VMM's view: created, running, paused or shutdown.</param>
/// <param name="PowerState">The guest's ACPI power state as the platform sees it, for example
/// "s0" (working), "s2idle" (suspended to idle) or "s5" (soft off).</param>
/// <param name="Vcpus">Number of vCPUs.</param>
/// <param name="MemoryBytes">Guest RAM in bytes.</param>
/// <param name="Kernel">Path of the kernel image, if the VM booted one.</param>
/// <param name="Cmdline">Kernel command line, if any.</param>
/// <param name="UptimeMs">Milliseconds since the VM was started.</param>
/// <param name="Devices">The PCI functions on the root bus (the host bridge aside), by slot;
/// empty while no machine runs.</param>
public sealed record VmInfo(
    VmState State,
    string PowerState,
    int Vcpus,
    long MemoryBytes,
    string? Kernel,
    string? Cmdline,
    long UptimeMs,
    IReadOnlyList<PciDeviceInfo> Devices);
