using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// Where a <see cref="PciRootBus"/> lives in the guest's address spaces: its ECAM window (bus 0,
/// 1 MiB), the memory windows BARs are placed in (below 4 GiB non-prefetchable, above 4 GiB
/// prefetchable), the ports I/O BARs are placed in, and the four GSIs INTx is routed to. The
/// machine builder takes these from its platform resources.
/// </summary>
/// <param name="EcamBase">The ECAM window's base, 1 MiB aligned, below 4 GiB.</param>
/// <param name="Memory32Base">The 32-bit memory window's base.</param>
/// <param name="Memory32Size">The 32-bit memory window's size; the window ends at or below 4 GiB.</param>
/// <param name="Memory64Base">The 64-bit memory window's base, at or above 4 GiB.</param>
/// <param name="Memory64Size">The 64-bit memory window's size.</param>
/// <param name="IoBarBase">The first port I/O BARs are placed at.</param>
/// <param name="IoBarSize">How many ports from <paramref name="IoBarBase"/> I/O BARs may take; the range lies in 0xD00-0xFFFF.</param>
/// <param name="IntxGsis">The GSIs of slot 0's INTA#-INTD#; slot s pin p raises <c>IntxGsis[(s + p) % 4]</c>.</param>
public sealed record PciRootBusLayout(
    MmioAddress EcamBase,
    MmioAddress Memory32Base,
    ulong Memory32Size,
    MmioAddress Memory64Base,
    ulong Memory64Size,
    PioAddress IoBarBase,
    uint IoBarSize,
    IReadOnlyList<uint> IntxGsis)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing that does not hold.</summary>
    public void Validate()
    {
        const ulong fourGiB = 1UL << 32;
        if (EcamBase.Value % PciRootBus.EcamSize != 0 || EcamBase.Value + PciRootBus.EcamSize > fourGiB)
        {
            throw new ArgumentException($"the ECAM window at {EcamBase} must be 1 MiB aligned and below 4 GiB", nameof(EcamBase));
        }
        if (Memory32Size == 0 || Memory32Base.Value + Memory32Size > fourGiB || Memory32Base.Value + Memory32Size < Memory32Base.Value)
        {
            throw new ArgumentException($"the 32-bit window {Memory32Base}+0x{Memory32Size:x} is empty or crosses 4 GiB", nameof(Memory32Size));
        }
        if (Memory64Size == 0 || Memory64Base.Value < fourGiB || Memory64Base.Value + Memory64Size < Memory64Base.Value)
        {
            throw new ArgumentException($"the 64-bit window {Memory64Base}+0x{Memory64Size:x} is empty, below 4 GiB or wraps", nameof(Memory64Size));
        }
        if (EcamBase.Value < Memory32Base.Value + Memory32Size && Memory32Base.Value < EcamBase.Value + PciRootBus.EcamSize)
        {
            throw new ArgumentException($"the ECAM window at {EcamBase} overlaps the 32-bit window", nameof(EcamBase));
        }
        if (IoBarSize == 0 || IoBarBase.Value < 0xd00 || IoBarBase.Value + IoBarSize > 0x1_0000)
        {
            throw new ArgumentException($"the I/O BAR range {IoBarBase}+0x{IoBarSize:x} is empty or outside 0xd00-0xffff", nameof(IoBarSize));
        }
        if (IntxGsis is null || IntxGsis.Count != 4)
        {
            throw new ArgumentException("INTx routing needs four GSIs, one per pin", nameof(IntxGsis));
        }
    }
}
