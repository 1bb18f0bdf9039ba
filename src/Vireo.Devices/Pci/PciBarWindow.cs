using Vireo.Pci;

namespace Vireo.Devices;

/// <summary>One placed BAR on the port or MMIO bus: accesses go to the function with the offset in the BAR.</summary>
internal sealed class PciBarWindow(IPciFunction function, int index) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data) => function.ReadBar(index, offset, data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) => function.WriteBar(index, offset, data);
}
