using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>
/// The VM's coalesced MMIO/PIO ring: one page KVM shares through every vCPU fd at page
/// KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO), where it queues guest writes to the zones
/// registered with <see cref="KvmVm.RegisterCoalescedPio"/> instead of exiting. KVM produces
/// at <c>last</c> (under its own lock, entry before index); the VMM is the single consumer at
/// <c>first</c>. A full ring makes KVM exit for the write as usual, so nothing is dropped; the
/// VMM keeps guest order by draining before it handles any exit.
/// </summary>
public sealed class KvmCoalescedRing : IDisposable
{
    private readonly MappedMemory _page;
    private readonly nint _address;
    private readonly uint _capacity;

    private KvmCoalescedRing(MappedMemory page, uint capacity)
    {
        _page = page;
        _address = page.DangerousGetAddress();
        _capacity = capacity;
    }

    /// <summary>Entries the ring holds (KVM_COALESCED_MMIO_MAX: what fits in the page after the head).</summary>
    public uint Capacity => _capacity;

    /// <summary>Maps the ring through <paramref name="vcpu"/>'s fd; <paramref name="pageOffset"/>
    /// is what KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO) answered (0: no ring).</summary>
    public static KvmCoalescedRing Map(KvmVcpu vcpu, int pageOffset)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageOffset, 1);
        int pageSize = Environment.SystemPageSize;
        MappedMemory page = MappedMemory.MapShared(vcpu.Handle, (ulong)pageSize, (long)pageOffset * pageSize, "mmap coalesced MMIO ring");
        uint capacity = (uint)((pageSize - Unsafe.SizeOf<KvmCoalescedMmioRing>()) / Unsafe.SizeOf<KvmCoalescedMmio>());
        return new KvmCoalescedRing(page, capacity);
    }

    /// <summary>True when KVM has queued no write since the last <see cref="Drain"/>.</summary>
    public bool IsEmpty
    {
        get
        {
            ref KvmCoalescedMmioRing head = ref Head;
            return Volatile.Read(ref head.First) == Volatile.Read(ref head.Last);
        }
    }

    /// <summary>Replays every queued write into <paramref name="sink"/>, oldest first, and frees
    /// its slot. One consumer at a time: the caller serialises drains. Returns how many.</summary>
    public int Drain(IKvmCoalescedWriteSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ref KvmCoalescedMmioRing head = ref Head;
        int count = 0;
        uint first = Volatile.Read(ref head.First);
        // Acquire: the entries KVM wrote before publishing `last` are visible after this read.
        uint last = Volatile.Read(ref head.Last);
        if (first >= _capacity || last >= _capacity)
        {
            throw new InvalidOperationException($"coalesced ring indices {first}/{last} are outside its {_capacity} entries");
        }
        while (first != last)
        {
            KvmCoalescedMmio entry = Entry(first);
            uint length = Math.Min(entry.Len, (uint)sizeof(ulong));
            Span<byte> data = MemoryMarshal.AsBytes(new Span<ulong>(ref entry.Data))[..(int)length];
            sink.Write(entry.Pio != 0, entry.PhysAddr, data);
            first = (first + 1) % _capacity;
            // Release: the slot is handed back only after its contents were consumed.
            Volatile.Write(ref head.First, first);
            count++;
            if (first == last)
            {
                last = Volatile.Read(ref head.Last);
            }
        }
        return count;
    }

    /// <summary>Unmaps the ring page; the vCPU it came from may outlive it.</summary>
    public void Dispose() => _page.Dispose();

    private unsafe ref KvmCoalescedMmioRing Head
    {
        // Safe: the page is mapped for this object's lifetime and the head is at its start.
        get => ref Unsafe.AsRef<KvmCoalescedMmioRing>((void*)_address);
    }

    private unsafe KvmCoalescedMmio Entry(uint index)
    {
        // Safe: index < _capacity, so the entry lies inside the mapped page (checked in Drain).
        byte* entries = (byte*)_address + Unsafe.SizeOf<KvmCoalescedMmioRing>();
        return Unsafe.ReadUnaligned<KvmCoalescedMmio>(entries + (index * (uint)Unsafe.SizeOf<KvmCoalescedMmio>()));
    }
}
