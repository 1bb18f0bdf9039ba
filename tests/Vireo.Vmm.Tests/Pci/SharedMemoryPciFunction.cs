using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm.Tests;

/// <summary>A function whose 8 KiB BAR 0 is a memfd: the second page an mmap area the VMM maps
/// into the guest, the first page trapped. Records the accesses that did trap.</summary>
internal sealed class SharedMemoryPciFunction : IPciFunction, IDisposable
{
    private readonly PciConfigSpace _config = new(0xfffe, 0x0002, 0xff_00_00);
    private readonly List<(bool Write, ulong Offset)> _trapped = [];

    public SharedMemoryPciFunction()
    {
        Bar = PciBar.SharedMemory(0x2000, [new PciMmapArea(0x1000, 0x1000)]);
        Bars = [new PciBarDescriptor(0, Bar.Size, PciBarKind.Memory32, mmapAreas: Bar.MmapAreas)];
    }

    public PciBar Bar { get; }

    public int MapCalls { get; private set; }

    /// <summary>How MapArea misbehaves, as a broken backend might: not at all, throwing, or a short mapping.</summary>
    public string MapFault { get; init; } = "none";

    public IReadOnlyList<(bool Write, ulong Offset)> Trapped
    {
        get
        {
            lock (_trapped)
            {
                return [.. _trapped];
            }
        }
    }

    public string Id => "shared";

    public IReadOnlyList<PciBarDescriptor> Bars { get; }

    public int ConfigSize => _config.Size;

    public void ReadConfig(int offset, Span<byte> data) => _config.Read(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _config.Write(offset, data);

    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        lock (_trapped)
        {
            _trapped.Add((false, offset));
        }
        Bar.ReadMemory(offset, data);
    }

    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_trapped)
        {
            _trapped.Add((true, offset));
        }
        Bar.WriteMemory(offset, data);
    }

    public MappedMemory MapArea(int index, PciMmapArea area)
    {
        MapCalls++;
        return MapFault switch
        {
            "throw" => throw new MachineBuildException("the device server went away"),
            "short" => MappedMemory.MapShared(Bar.MemoryFd!, area.Size / 2, (long)area.Offset, "mmap BAR area"),
            _ => MappedMemory.MapShared(Bar.MemoryFd!, area.Size, (long)area.Offset, "mmap BAR area"),
        };
    }

    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
    }

    public void Dispose() => Bar.Dispose();
}
