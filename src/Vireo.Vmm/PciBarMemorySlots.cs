using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// Gives the guest the mmap areas of PCI BARs as KVM memory slots, for every backend at once:
/// when the root bus places a memory BAR, each of its <see cref="PciBarDescriptor.MmapAreas"/> is
/// mapped from the function (<see cref="IPciFunction.MapArea"/>, once) and becomes a slot at the
/// BAR's address plus the area's offset, so guest accesses there never exit; when the BAR moves
/// the slot moves with it, and when it stops decoding the slot goes and accesses trap again.
/// </summary>
/// <remarks>
/// Runs from <see cref="Vireo.Devices.PciRootBus.MemoryBarPlaced"/>, on the vCPU thread that made
/// the config access, under the root bus's lock. An area the function cannot map, or maps shorter
/// than it said, stays trapped and is reported: a backend's mistake must not stop the vCPU.
/// Disposed after the VM, which drops the slots, so the mappings outlive every slot.
/// </remarks>
internal sealed class PciBarMemorySlots(KvmVm vm, Func<uint> allocateSlot, Action<string>? warn) : IDisposable
{
    private readonly Dictionary<(IPciFunction Function, int Bar, ulong Offset), Area> _areas = [];

    public void OnMemoryBarPlaced(IPciFunction function, PciBarDescriptor bar, MmioAddress? address)
    {
        foreach (PciMmapArea area in bar.MmapAreas)
        {
            var key = (function, bar.Index, area.Offset);
            if (!_areas.TryGetValue(key, out Area? mapped))
            {
                if (address is null || Map(function, bar, area) is not MappedMemory memory)
                {
                    continue;
                }
                mapped = new Area(memory, allocateSlot(), area.Size);
                _areas.Add(key, mapped);
            }
            if (mapped.GuestAddress is GuestAddress old)
            {
                vm.RemoveUserMemoryRegion(mapped.Slot, old);
                mapped.GuestAddress = null;
            }
            if (address is MmioAddress at)
            {
                var guest = new GuestAddress(at.Value + area.Offset);
                try
                {
                    vm.SetUserMemoryRegion(mapped.Slot, guest, mapped.Size, mapped.Memory.DangerousGetAddress());
                    mapped.GuestAddress = guest;
                }
                catch (ErrnoException e)
                {
                    warn?.Invoke($"pci: {function.Id} BAR{bar.Index} area {area} at {guest} stays trapped: {e.Message}");
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (Area area in _areas.Values)
        {
            area.Memory.Dispose();
        }
        _areas.Clear();
    }

    private MappedMemory? Map(IPciFunction function, PciBarDescriptor bar, PciMmapArea area)
    {
        MappedMemory memory;
        try
        {
            memory = function.MapArea(bar.Index, area);
        }
        catch (VireoException e)
        {
            warn?.Invoke($"pci: {function.Id} BAR{bar.Index} area {area} stays trapped: {e.Message}");
            return null;
        }
        if (memory.Length < area.Size)
        {
            warn?.Invoke($"pci: {function.Id} BAR{bar.Index} area {area} stays trapped: the function mapped only 0x{memory.Length:x} bytes");
            memory.Dispose();
            return null;
        }
        return memory;
    }

    private sealed class Area(MappedMemory memory, uint slot, ulong size)
    {
        public MappedMemory Memory { get; } = memory;

        public uint Slot { get; } = slot;

        public ulong Size { get; } = size;

        public GuestAddress? GuestAddress { get; set; }
    }
}
