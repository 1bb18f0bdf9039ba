namespace Vireo.Vmm;

/// <summary>Asks for a snapshot of the VM's state (<c>vm.info</c>).</summary>
public sealed class GetVmInfo : VmmRequest<VmInfo>;
