using Vireo.Acpi;
using Vireo.Pci;

namespace Vireo.Devices;

/// <summary>What the root bus keeps per populated slot: the function, its BAR registers as the
/// guest programmed them, where each BAR decodes now and the bus windows that decode it.</summary>
internal sealed class PciSlotState
{
    public const int BarCount = 6;

    public PciSlotState(int slot, IPciFunction function)
    {
        Slot = slot;
        Function = function;
        Aml = new PciSlotAml(slot);
        foreach (PciBarDescriptor bar in function.Bars)
        {
            if (Bars[bar.Index] is not null || IsUpperHalf[bar.Index] || (bar.Kind == PciBarKind.Memory64 && (Bars[bar.Index + 1] is not null || IsUpperHalf[bar.Index + 1])))
            {
                throw new ArgumentException($"PCI function {function.Id}: BAR {bar.Index} overlaps another BAR's register", nameof(function));
            }
            Bars[bar.Index] = bar;
            if (bar.Kind == PciBarKind.Memory64)
            {
                IsUpperHalf[bar.Index + 1] = true;
            }
        }
    }

    public int Slot { get; }

    public IPciFunction Function { get; }

    public PciSlotAml Aml { get; }

    /// <summary>The BAR whose low (or only) register is at each index.</summary>
    public PciBarDescriptor?[] Bars { get; } = new PciBarDescriptor?[BarCount];

    /// <summary>Whether the register at each index is the upper half of the 64-bit BAR below it.</summary>
    public bool[] IsUpperHalf { get; } = new bool[BarCount];

    /// <summary>The BAR registers' address bits, as the guest wrote them (masked to the BAR size).</summary>
    public uint[] Registers { get; } = new uint[BarCount];

    /// <summary>Where each BAR decodes now; null when it does not.</summary>
    public ulong?[] Decoded { get; } = new ulong?[BarCount];

    /// <summary>The Command register as last read back from the function.</summary>
    public ushort Command { get; set; }

    /// <summary>The BAR's programmed base address (both halves of a 64-bit BAR).</summary>
    public ulong Address(PciBarDescriptor bar)
    {
        ulong low = Registers[bar.Index];
        ulong high = bar.Kind == PciBarKind.Memory64 ? Registers[bar.Index + 1] : 0;
        return ((high << 32) | low) & ~(bar.Size - 1);
    }

    /// <summary>Sets the BAR's registers to <paramref name="address"/>.</summary>
    public void SetAddress(PciBarDescriptor bar, ulong address)
    {
        Registers[bar.Index] = (uint)address & LowMask(bar);
        if (bar.Kind == PciBarKind.Memory64)
        {
            Registers[bar.Index + 1] = (uint)(address >> 32) & HighMask(bar);
        }
    }

    /// <summary>The dword the guest reads from BAR register <paramref name="index"/>: the address
    /// bits above the size, then the read-only type bits (PCI 3.0 §6.2.5.1). After an all-ones
    /// sizing write this reads back the size.</summary>
    public uint ReadRegister(int index)
    {
        if (Bars[index] is PciBarDescriptor bar)
        {
            uint type = bar.Kind switch
            {
                PciBarKind.Io => 0x1u,
                PciBarKind.Memory64 => 0x4u,
                _ => 0u,
            };
            return (Registers[index] & LowMask(bar)) | type | (bar.Prefetchable ? 0x8u : 0);
        }
        if (IsUpperHalf[index])
        {
            return Registers[index] & HighMask(Bars[index - 1]!);
        }
        return 0;
    }

    /// <summary>A guest write of <paramref name="value"/> to the bytes of BAR register
    /// <paramref name="index"/> in <paramref name="byteMask"/>; an unimplemented register ignores it.</summary>
    public void WriteRegister(int index, uint value, uint byteMask)
    {
        uint merged = (Registers[index] & ~byteMask) | (value & byteMask);
        if (Bars[index] is PciBarDescriptor bar)
        {
            Registers[index] = merged & LowMask(bar);
        }
        else if (IsUpperHalf[index])
        {
            Registers[index] = merged & HighMask(Bars[index - 1]!);
        }
    }

    // Bits 3:0 of a memory BAR and 1:0 of an I/O BAR are not address bits.
    private static uint LowMask(PciBarDescriptor bar) => (uint)~(bar.Size - 1) & (bar.Kind == PciBarKind.Io ? 0xffff_fffcu : 0xffff_fff0u);

    private static uint HighMask(PciBarDescriptor bar) => (uint)(~(bar.Size - 1) >> 32);
}
