using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>An interrupt pin wired to nothing, for devices built only to describe themselves.</summary>
internal sealed class NoInterruptLine : IInterruptLine
{
    public void Set(bool asserted)
    {
    }
}
