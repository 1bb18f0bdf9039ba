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
/// Disposed after the VM, which drops the slots, so the mappings outlive every slot. A function
/// may ask for its areas to be trapped for a while (<see cref="SetTrapped"/>, from its own
/// thread): their slots go, placements are remembered, and untrapping puts them back where the
/// BARs are then; a lock orders that against placements.
/// </remarks>
internal sealed class PciBarMemorySlots(KvmVm vm, Func<uint> allocateSlot, Action<string>? warn) : IDisposable
{
    private readonly Dictionary<(IPciFunction Function, int Bar, ulong Offset), Area> _areas = [];
    private readonly HashSet<IPciFunction> _trapped = [];
    private readonly Lock _gate = new();

    public void OnMemoryBarPlaced(IPciFunction function, PciBarDescriptor bar, MmioAddress? address)
    {
        lock (_gate)
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
                    mapped = new Area(function.Id, bar.Index, area, memory, allocateSlot());
                    _areas.Add(key, mapped);
                }
                mapped.Placed = address is MmioAddress at ? new GuestAddress(at.Value + area.Offset) : null;
                Install(mapped, _trapped.Contains(function) ? null : mapped.Placed);
            }
        }
    }

    /// <summary>Takes every area of <paramref name="function"/> out of the guest's memory map
    /// (<paramref name="trapped"/>), or puts them back where their BARs are now.</summary>
    public void SetTrapped(IPciFunction function, bool trapped)
    {
        lock (_gate)
        {
            if (trapped ? !_trapped.Add(function) : !_trapped.Remove(function))
            {
                return;
            }
            foreach (((IPciFunction owner, _, _), Area area) in _areas)
            {
                if (owner == function)
                {
                    Install(area, trapped ? null : area.Placed);
                }
            }
        }
    }

    /// <summary>Drops every area of <paramref name="function"/> for good (it left the bus): its
    /// memory slots go first, then the mappings, so no vCPU can still reach them when they are
    /// unmapped, and a kernel VFIO device is free to go back to the host once its descriptor
    /// closes (a mapping would keep it). Returns how many areas were dropped.</summary>
    public int Forget(IPciFunction function)
    {
        lock (_gate)
        {
            _trapped.Remove(function);
            var gone = _areas.Where(a => a.Key.Function == function).ToArray();
            int dropped = 0;
            foreach ((var key, Area area) in gone)
            {
                try
                {
                    Install(area, null);
                }
                catch (ErrnoException e)
                {
                    // KVM still maps it: unmapping now would leave the guest a slot onto nothing.
                    // It goes with the machine instead.
                    warn?.Invoke($"pci: {area.FunctionId} BAR{area.Bar} area {area.Region} stays mapped until the machine ends: {e.Message}");
                    continue;
                }
                _areas.Remove(key);
                area.Memory.Dispose();
                dropped++;
            }
            return dropped;
        }
    }

    /// <summary>Moves <paramref name="area"/>'s slot to <paramref name="guest"/>, or removes it for null.</summary>
    private void Install(Area area, GuestAddress? guest)
    {
        if (area.GuestAddress == guest)
        {
            return;
        }
        if (area.GuestAddress is GuestAddress old)
        {
            vm.RemoveUserMemoryRegion(area.Slot, old);
            area.GuestAddress = null;
        }
        if (guest is GuestAddress at)
        {
            try
            {
                vm.SetUserMemoryRegion(area.Slot, at, area.Size, area.Memory.DangerousGetAddress());
                area.GuestAddress = at;
            }
            catch (ErrnoException e)
            {
                warn?.Invoke($"pci: {area.FunctionId} BAR{area.Bar} area {area.Region} at {at} stays trapped: {e.Message}");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            DisposeAreas();
        }
    }

    private void DisposeAreas()
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

    private sealed class Area(string functionId, int bar, PciMmapArea region, MappedMemory memory, uint slot)
    {
        public string FunctionId { get; } = functionId;

        public int Bar { get; } = bar;

        public PciMmapArea Region { get; } = region;

        public MappedMemory Memory { get; } = memory;

        public uint Slot { get; } = slot;

        public ulong Size => Region.Size;

        /// <summary>Where the BAR puts the area now; null while the BAR does not decode.</summary>
        public GuestAddress? Placed { get; set; }

        /// <summary>Where its slot is installed; null while it traps.</summary>
        public GuestAddress? GuestAddress { get; set; }
    }
}
