using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary>The driver's side of a split ring in test guest memory: writes descriptors and
/// available entries, reads used entries, as a guest driver would.</summary>
public sealed class DriverRing
{
    public const ulong DescAddress = 0x10000;
    public const ulong AvailAddress = 0x20000;
    public const ulong UsedAddress = 0x30000;

    private readonly GuestMemory _memory;
    private ushort _availIdx;

    public DriverRing(GuestMemory memory, ushort size)
    {
        _memory = memory;
        Size = size;
    }

    public ushort Size { get; }

    public static GuestMemory NewMemory() => GuestMemory.Create((new GuestAddress(0), 1UL << 20));

    public SplitVirtqueue DeviceQueue(bool eventIdx = false, bool indirect = true)
        => new(_memory, Size, new GuestAddress(DescAddress), new GuestAddress(AvailAddress), new GuestAddress(UsedAddress), eventIdx, indirect);

    public void Descriptor(ushort index, ulong address, uint length, ushort flags = 0, ushort next = 0, ulong table = DescAddress)
        => _memory.Write(new GuestAddress(table + (index * 16UL)), new VirtqDescriptor { Address = address, Length = length, Flags = flags, Next = next });

    public void Offer(ushort head)
    {
        _memory.Write(new GuestAddress(AvailAddress + 4 + (2UL * (ushort)(_availIdx % Size))), head);
        _availIdx++;
        _memory.Write(new GuestAddress(AvailAddress + 2), _availIdx);
    }

    /// <summary>Empty rings again, as a driver sets them up before (re)enabling the queue.</summary>
    public void Restart()
    {
        _availIdx = 0;
        _memory.Write(new GuestAddress(AvailAddress), 0u); // flags, idx
        _memory.Write(new GuestAddress(UsedAddress), 0u);
    }

    public void SetAvailIdx(ushort idx)
    {
        _availIdx = idx;
        _memory.Write(new GuestAddress(AvailAddress + 2), idx);
    }

    public void SetAvailFlags(ushort flags) => _memory.Write(new GuestAddress(AvailAddress), flags);

    public void SetUsedEvent(ushort value) => _memory.Write(new GuestAddress(AvailAddress + 4 + (2UL * Size)), value);

    public ushort AvailEvent => _memory.Read<ushort>(new GuestAddress(UsedAddress + 4 + (8UL * Size)));

    public ushort UsedIdx => _memory.Read<ushort>(new GuestAddress(UsedAddress + 2));

    public VirtqUsedElement Used(ushort position) => _memory.Read<VirtqUsedElement>(new GuestAddress(UsedAddress + 4 + (8UL * (ushort)(position % Size))));
}
