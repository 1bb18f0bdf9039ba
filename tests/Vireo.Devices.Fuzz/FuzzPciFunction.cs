using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Devices.Fuzz;

/// <summary>
/// An emulated PCI function made of the Vireo.Pci models a real one uses: a
/// <see cref="PciConfigSpace"/> with the PM, MSI and MSI-X capabilities, BAR 0 a 4 KiB 32-bit
/// memory BAR holding the MSI-X table (at 0) and PBA (at <see cref="PbaOffset"/>), BAR 2 a
/// 16 KiB prefetchable 64-bit memory BAR and BAR 4 a 32-port I/O BAR, both plain registers that
/// read back what was written. MSI-X goes through an <see cref="IMsixController"/>, as in the
/// machine. Its ID, fffe:0002, belongs to no vendor (PCI-SIG never assigns 0xFFFE).
/// </summary>
public sealed class FuzzPciFunction : IPciFunction
{
    /// <summary>The Vendor ID: assigned to nobody.</summary>
    public const ushort VendorId = 0xfffe;
    /// <summary>The Device ID.</summary>
    public const ushort DeviceId = 0x0002;
    /// <summary>Sizes of BARs 0, 2 and 4.</summary>
    public const ulong Bar0Size = 0x1000, Bar2Size = 0x4000, Bar4Size = 0x20;
    /// <summary>Where the Pending Bit Array starts in BAR 0; the table (at most 128 vectors) ends before it.</summary>
    public const uint PbaOffset = 0x800;
    /// <summary>The most MSI-X vectors the table holds below <see cref="PbaOffset"/>.</summary>
    public const int MaxVectors = (int)PbaOffset / MsixTable.EntrySize;

    private readonly PciConfigSpace _config;
    private readonly RecordingMsixController _msix;
    private readonly byte[] _bar2 = new byte[Bar2Size];
    private readonly byte[] _bar4 = new byte[Bar4Size];

    /// <summary>A function called <paramref name="id"/> with <paramref name="vectors"/> MSI-X vectors (1 to <see cref="MaxVectors"/>).</summary>
    public FuzzPciFunction(string id, int vectors, int configSize)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vectors, MaxVectors);
        Id = id;
        // Class ff: "device does not fit any defined class" (PCI Code and ID Assignment 1.11 §1).
        _config = new PciConfigSpace(VendorId, DeviceId, 0xff_00_00, size: configSize);
        _config.SetInterruptPin(1);
        _config.AddPowerManagement(PciPmeSupport.D3Hot | PciPmeSupport.D3Cold);
        _config.AddMsi(4);
        MsixCapability = _config.AddMsix(vectors, tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: PbaOffset);
        _msix = new RecordingMsixController(vectors);
        Bars =
        [
            new PciBarDescriptor(0, Bar0Size, PciBarKind.Memory32),
            new PciBarDescriptor(2, Bar2Size, PciBarKind.Memory64, prefetchable: true),
            new PciBarDescriptor(4, Bar4Size, PciBarKind.Io),
        ];
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public IReadOnlyList<PciBarDescriptor> Bars { get; }

    /// <inheritdoc/>
    public int ConfigSize => _config.Size;

    /// <summary>Where the MSI-X capability starts in config space (Message Control at +2).</summary>
    public int MsixCapability { get; }

    /// <summary>The function's MSI-X owner and what it delivered.</summary>
    public RecordingMsixController Msix => _msix;

    /// <summary>Config accesses that reached the function (the root answers BARs and empty slots itself).</summary>
    public int ConfigAccesses { get; private set; }

    /// <summary>BAR accesses that reached the function.</summary>
    public int BarAccesses { get; private set; }

    /// <summary>Every <see cref="MemoryBarPlaced"/> call.</summary>
    public int Placements { get; private set; }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        ConfigAccesses++;
        _config.Read(offset, data);
    }

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        ConfigAccesses++;
        _config.Write(offset, data);
        _msix.SetControl(_config.MsixEnabled, _config.MsixFunctionMasked);
    }

    /// <inheritdoc/>
    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        BarAccesses++;
        data.Clear();
        switch (index)
        {
            case 0 when offset < PbaOffset:
                _msix.ReadTable(offset, data);
                break;
            case 0:
                _msix.ReadPba(offset - PbaOffset, data);
                break;
            case 2:
                _bar2.AsSpan(checked((int)offset), data.Length).CopyTo(data);
                break;
            case 4:
                _bar4.AsSpan(checked((int)offset), data.Length).CopyTo(data);
                break;
            default:
                throw new InvalidOperationException($"{Id}: read of BAR {index}, which it does not have");
        }
    }

    /// <inheritdoc/>
    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        BarAccesses++;
        switch (index)
        {
            case 0 when offset < PbaOffset:
                _msix.WriteTable(offset, data);
                break;
            case 0:
                // PCI 3.0 §6.8.2.10: the PBA is read-only.
                break;
            case 2:
                data.CopyTo(_bar2.AsSpan(checked((int)offset), data.Length));
                break;
            case 4:
                data.CopyTo(_bar4.AsSpan(checked((int)offset), data.Length));
                break;
            default:
                throw new InvalidOperationException($"{Id}: write to BAR {index}, which it does not have");
        }
    }

    /// <inheritdoc/>
    public MappedMemory MapArea(int index, PciMmapArea area) => throw new InvalidOperationException($"{Id} has no mmap areas and was asked to map one");

    /// <summary>Where each memory BAR decodes as the root bus last said (<see cref="MemoryBarPlaced"/>), by BAR index.</summary>
    public MmioAddress?[] Placed { get; } = new MmioAddress?[6];

    /// <inheritdoc/>
    /// <exception cref="BusInvariantException">The root named a BAR the function does not have, or
    /// told of no change (the contract: called only on a change).</exception>
    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
        Placements++;
        if (Bars.FirstOrDefault(b => b.Index == index) is not { IsMemory: true })
        {
            throw new BusInvariantException($"{Id}: told that BAR {index}, which is not one of its memory BARs, decodes at {address}");
        }
        if (Placed[index] == address)
        {
            throw new BusInvariantException($"{Id}: told that BAR {index} decodes at {address?.ToString() ?? "nowhere"}, where it already was");
        }
        Placed[index] = address;
    }

    /// <summary>The function raises MSI-X <paramref name="vector"/> (modulo its count), as its device would.</summary>
    public void Signal(int vector) => _msix.Signal(vector % _msix.Vectors);
}
