using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.TestSupport;

/// <summary>
/// A tiny emulated PCI function for tests of the root bus, in process: BAR 0 a 4 KiB trapped
/// 32-bit memory BAR, BAR 2 a 16 KiB prefetchable 64-bit memory BAR, BAR 4 a 32-port I/O BAR;
/// every BAR's bytes read back what was written (all zero at first), every access is recorded,
/// and so is every <see cref="MemoryBarPlaced"/> call. Its ID, fffe:0001, belongs to no vendor
/// (PCI-SIG never assigns 0xFFFE), so no driver anywhere binds it.
/// </summary>
public sealed class EchoPciFunction : IPciFunction
{
    /// <summary>The Vendor ID: assigned to nobody.</summary>
    public const ushort VendorId = 0xfffe;
    /// <summary>The Device ID.</summary>
    public const ushort DeviceId = 0x0001;
    /// <summary>Sizes of BARs 0, 2 and 4.</summary>
    public const ulong Bar0Size = 0x1000, Bar2Size = 0x4000, Bar4Size = 0x20;

    private readonly PciConfigSpace _config;
    private readonly byte[][] _memory = [new byte[Bar0Size], [], new byte[Bar2Size], [], new byte[Bar4Size], []];
    private readonly List<(bool Write, int Bar, ulong Offset, byte[] Data)> _accesses = [];
    private readonly List<(int Bar, MmioAddress? Address)> _placements = [];

    /// <summary>A function called <paramref name="id"/>, 256 bytes of config space unless <paramref name="configSize"/> says 4096.</summary>
    public EchoPciFunction(string id = "echo", int configSize = PciConfigSpace.StandardSize)
    {
        Id = id;
        // Class ff: "device does not fit any defined class" (PCI Code and ID Assignment 1.11 §1).
        _config = new PciConfigSpace(VendorId, DeviceId, 0xff_00_00, size: configSize);
        _config.SetInterruptPin(1);
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

    /// <summary>The function's own config space (everything but the BAR registers the root owns).</summary>
    public PciConfigSpace Config => _config;

    /// <summary>Every BAR access, in order.</summary>
    public IReadOnlyList<(bool Write, int Bar, ulong Offset, byte[] Data)> Accesses
    {
        get
        {
            lock (_accesses)
            {
                return [.. _accesses];
            }
        }
    }

    /// <summary>Every <see cref="MemoryBarPlaced"/> call, in order.</summary>
    public IReadOnlyList<(int Bar, MmioAddress? Address)> Placements
    {
        get
        {
            lock (_placements)
            {
                return [.. _placements];
            }
        }
    }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data) => _config.Read(offset, data);

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _config.Write(offset, data);

    /// <inheritdoc/>
    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        lock (_accesses)
        {
            _memory[index].AsSpan((int)offset, data.Length).CopyTo(data);
            _accesses.Add((false, index, offset, data.ToArray()));
        }
    }

    /// <inheritdoc/>
    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_accesses)
        {
            data.CopyTo(_memory[index].AsSpan((int)offset));
            _accesses.Add((true, index, offset, data.ToArray()));
        }
    }

    /// <inheritdoc/>
    public MappedMemory MapArea(int index, PciMmapArea area) => throw new InvalidOperationException("the echo function has no mmap areas");

    /// <inheritdoc/>
    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
        lock (_placements)
        {
            _placements.Add((index, address));
        }
    }
}
