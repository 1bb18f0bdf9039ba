namespace Vireo.Vmm;

public enum VcpuRunState
{
    Created,
    Running,
    Paused,
    Stopped,
}
