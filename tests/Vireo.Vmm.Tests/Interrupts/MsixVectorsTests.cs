using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Kvm;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

public sealed class MsixVectorsTests : IDisposable
{
    private readonly FakeKvmInterrupts _kvm = new();
    private readonly DeviceInterrupts _interrupts;
    private readonly EventFd[] _triggers = [EventFd.Create(), EventFd.Create(), EventFd.Create()];
    private readonly MsixVectors _msix;

    public MsixVectorsTests()
    {
        _interrupts = new DeviceInterrupts(_kvm);
        _msix = _interrupts.CreateMsix(0x18, new MsixTable(_triggers.Length), _triggers);
    }

    public void Dispose()
    {
        _msix.Dispose();
        _interrupts.Dispose();
        foreach (EventFd trigger in _triggers)
        {
            trigger.Dispose();
        }
    }

    [Fact]
    public void Until_enabled_and_unmasked_no_vector_is_routed_and_every_eventfd_is_watched()
    {
        WriteEntry(0, 0xFEE0_0000, 0x41, masked: false);
        _msix.SetControl(enabled: true, functionMasked: true);

        Assert.Empty(_kvm.Tables);
        Assert.Equal(0, _kvm.IrqfdCount);
        Assert.Equal(3, _interrupts.WatchedEventFds);
    }

    [Fact]
    public void Unmasking_a_vector_routes_it_and_makes_its_eventfd_an_irqfd_in_one_commit()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(1, 0xFEE0_1000, 0x42, masked: true);

        WriteEntry(1, 0xFEE0_1000, 0x42, masked: false);

        KvmIrqRoutingEntry[] table = Assert.Single(_kvm.Tables);
        Assert.Equal([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_1000, 0x42)], table);
        Assert.Equal(24u, _kvm.IrqfdOf(_triggers[1])?.Gsi);
        Assert.Null(_kvm.IrqfdOf(_triggers[0]));
        Assert.True(_msix.IsLive(1));
        Assert.Equal(2, _interrupts.WatchedEventFds);
    }

    [Fact]
    public void Behind_an_its_a_vectors_route_names_the_function_by_its_requester_id()
    {
        var kvm = new FakeKvmInterrupts(defaultRoutes: KvmDefaultIrqRouting.Gicv3(96), msiCarriesDeviceId: true);
        using var interrupts = new DeviceInterrupts(kvm);
        using EventFd trigger = EventFd.Create();
        using MsixVectors msix = interrupts.CreateMsix(0x28, new MsixTable(1), [trigger]);
        msix.SetControl(enabled: true, functionMasked: false);

        msix.WriteTable(0, Entry(0x0809_0040, 3, masked: false));

        Assert.Equal(KvmIrqRoutingEntry.ForMsi(96, 0x0809_0040, 3, 0x28), kvm.LastTable.Single(e => e.IsMsi));
    }

    [Fact]
    public void A_signal_while_masked_sets_the_pending_bit_and_is_delivered_on_unmask()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(2, 0xFEE0_0000, 0x43, masked: false);
        WriteEntry(2, 0xFEE0_0000, 0x43, masked: true);
        Assert.Null(_kvm.IrqfdOf(_triggers[2]));

        _triggers[2].Signal();

        Assert.True(WaitUntil(() => _msix.IsPending(2)), "the masked vector's signal never became pending");
        byte[] pba = new byte[8];
        _msix.ReadPba(0, pba);
        Assert.Equal<byte>([0b100, 0, 0, 0, 0, 0, 0, 0], pba);
        Assert.Equal(0UL, _triggers[2].TryRead()); // the VMM consumed it

        WriteEntry(2, 0xFEE0_0000, 0x43, masked: false);

        Assert.False(_msix.IsPending(2));
        Assert.Equal(24u, _kvm.IrqfdOf(_triggers[2])?.Gsi);
        // Delivered through the irqfd: the VMM signalled the eventfd KVM now owns.
        Assert.Equal(1UL, _triggers[2].TryRead());
        // Mask and unmask kept the GSI and its route: only the first unmask committed a table.
        Assert.Single(_kvm.Tables);
    }

    [Fact]
    public void The_function_mask_holds_every_vector_and_its_release_delivers_what_is_pending()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(0, 0xFEE0_0000, 0x41, masked: false);
        _msix.SetControl(enabled: true, functionMasked: true);
        Assert.Equal(0, _kvm.IrqfdCount);

        _triggers[0].Signal();
        Assert.True(WaitUntil(() => _msix.IsPending(0)));
        _msix.SetControl(enabled: true, functionMasked: false);

        Assert.False(_msix.IsPending(0));
        Assert.Equal(1UL, _triggers[0].TryRead());
        Assert.True(_msix.IsLive(0));
    }

    [Fact]
    public void A_signal_while_disabled_is_dropped_and_disabling_gives_the_gsis_back()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(0, 0xFEE0_0000, 0x41, masked: false);
        WriteEntry(1, 0xFEE0_0000, 0x42, masked: false);
        Assert.Equal([24u, 25u], new[] { _msix.GsiOf(0)!.Value, _msix.GsiOf(1)!.Value });

        _msix.SetControl(enabled: false, functionMasked: false);

        Assert.Equal(0, _kvm.IrqfdCount);
        Assert.Equal(KvmDefaultIrqRouting.Entries, _kvm.LastTable);
        Assert.Null(_msix.GsiOf(0));
        Assert.Equal(3, _interrupts.WatchedEventFds);
        _triggers[1].Signal();
        // The event thread drains it (the eventfd stops being readable) without marking it pending.
        Assert.True(WaitUntil(() => !Poller.WaitReadable(_triggers[1].Handle, TimeSpan.Zero)), "the signal was never consumed");
        _msix.SetControl(enabled: true, functionMasked: true);
        Assert.False(_msix.IsPending(1));
    }

    [Fact]
    public void Reprogramming_a_live_vector_updates_its_route_and_keeps_its_irqfd()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(0, 0xFEE0_0000, 0x41, masked: false);

        byte[] data = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, 0x51);
        _msix.WriteTable(8, data);

        Assert.Equal(2, _kvm.Tables.Count);
        Assert.Contains(KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x51), _kvm.LastTable);
        Assert.Equal(24u, _kvm.IrqfdOf(_triggers[0])?.Gsi);
    }

    [Fact]
    public void A_write_across_two_entries_updates_both_with_one_commit()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        byte[] two = new byte[32];
        Entry(0xFEE0_0000, 0x41, masked: false).CopyTo(two, 0);
        Entry(0xFEE0_0000, 0x42, masked: false).CopyTo(two, 16);

        _msix.WriteTable(16, two);

        Assert.Single(_kvm.Tables);
        Assert.True(_msix.IsLive(1) && _msix.IsLive(2) && !_msix.IsLive(0));
        byte[] back = new byte[16];
        _msix.ReadTable(32, back);
        Assert.Equal(Entry(0xFEE0_0000, 0x42, masked: false), back);
    }

    [Fact]
    public void Reset_and_dispose_leave_nothing_in_kvm()
    {
        _msix.SetControl(enabled: true, functionMasked: false);
        WriteEntry(0, 0xFEE0_0000, 0x41, masked: false);

        _msix.Reset();
        Assert.Equal(0, _kvm.IrqfdCount);
        Assert.True(_msix.IsLive(0) is false);
        _msix.SetControl(enabled: true, functionMasked: false);
        Assert.False(_msix.IsLive(0)); // the reset masked every entry

        _msix.Dispose();
        Assert.Equal(0, _interrupts.WatchedEventFds);
        Assert.Throws<ObjectDisposedException>(() => _msix.WriteTable(0, new byte[4]));
    }

    [Fact]
    public void One_eventfd_per_vector_is_required()
    {
        Assert.Throws<ArgumentException>(() => _interrupts.CreateMsix(0x18, new MsixTable(4), _triggers));
    }

    private void WriteEntry(int vector, ulong address, uint data, bool masked) => _msix.WriteTable((ulong)(vector * MsixTable.EntrySize), Entry(address, data, masked));

    private static byte[] Entry(ulong address, uint data, bool masked)
    {
        byte[] entry = new byte[MsixTable.EntrySize];
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), data);
        entry[12] = masked ? (byte)1 : (byte)0;
        return entry;
    }

    internal static bool WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return false;
            }
            Thread.Sleep(1);
        }
        return true;
    }
}
