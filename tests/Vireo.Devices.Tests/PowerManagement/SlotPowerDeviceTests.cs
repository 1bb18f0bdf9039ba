using System.Buffers.Binary;
using System.Collections.Concurrent;
using Vireo.Memory;

namespace Vireo.Devices.Tests.PowerManagement;

public sealed class SlotPowerDeviceTests
{
    private const int NotifyGpe = 0x10;
    private const int WakeGpe = 0x11;

    private readonly ConcurrentQueue<int> _raised = new();

    private SlotPowerDevice NewDevice() => new(new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _raised.Enqueue);

    // The command bytes spelled out independently of the enum: the values the AML stores.
    private const byte EnterD0 = 0x00;
    private const byte EnterD3Hot = 0x03;
    private const byte PowerOff = 0x10;
    private const byte PowerOn = 0x11;
    private const byte DisableWake = 0x20;
    private const byte EnableWake = 0x21;
    private const byte Eject = 0x30;

    // ACPI 6.5 §6.3.7: present, enabled, shown in the UI, functioning.
    private const byte PresentStatus = 0x0F;

    public static TheoryData<SlotDeviceState, byte, SlotDeviceState> Transitions => new()
    {
        { SlotDeviceState.D0, EnterD0, SlotDeviceState.D0 },
        { SlotDeviceState.D0, EnterD3Hot, SlotDeviceState.D3Hot },
        { SlotDeviceState.D0, PowerOff, SlotDeviceState.D3Cold },
        { SlotDeviceState.D0, PowerOn, SlotDeviceState.D0 },
        { SlotDeviceState.D0, DisableWake, SlotDeviceState.D0 },
        { SlotDeviceState.D0, EnableWake, SlotDeviceState.D0 },
        { SlotDeviceState.D3Hot, EnterD0, SlotDeviceState.D0 },
        { SlotDeviceState.D3Hot, EnterD3Hot, SlotDeviceState.D3Hot },
        { SlotDeviceState.D3Hot, PowerOff, SlotDeviceState.D3Cold },
        { SlotDeviceState.D3Hot, PowerOn, SlotDeviceState.D3Hot },
        { SlotDeviceState.D3Hot, DisableWake, SlotDeviceState.D3Hot },
        { SlotDeviceState.D3Hot, EnableWake, SlotDeviceState.D3Hot },
        // Power has to come back before _PS0 can mean anything.
        { SlotDeviceState.D3Cold, EnterD0, SlotDeviceState.D3Cold },
        { SlotDeviceState.D3Cold, EnterD3Hot, SlotDeviceState.D3Cold },
        { SlotDeviceState.D3Cold, PowerOff, SlotDeviceState.D3Cold },
        { SlotDeviceState.D3Cold, PowerOn, SlotDeviceState.D0 },
        { SlotDeviceState.D3Cold, DisableWake, SlotDeviceState.D3Cold },
        { SlotDeviceState.D3Cold, EnableWake, SlotDeviceState.D3Cold },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void EveryCommandFromEveryStateMovesAsThePowerStateMachineSays(SlotDeviceState from, byte command, SlotDeviceState to)
    {
        SlotPowerDevice device = NewDevice();
        Enter(device, from);
        var seen = new List<(SlotPowerCommand Command, SlotDeviceState State)>();
        device.CommandWritten += c => seen.Add((c, device.State));

        device.Write(SlotPowerDevice.CommandOffset, [command]);

        Assert.Equal(to, device.State);
        Assert.Equal(to != SlotDeviceState.D3Cold, device.PowerResourceOn);
        Assert.Equal(to == SlotDeviceState.D3Cold ? 0 : 1, ReadStatus(device));
        // No power command touches the slot Device's _STA: the function stays present.
        Assert.Equal(PresentStatus, ReadSlotStatus(device));
        Assert.False(device.IsEjected);
        // Raised once, even for a no-op, and after the state changed.
        Assert.Equal([((SlotPowerCommand)command, to)], seen);
        Assert.Equal(0, device.IgnoredWrites);
        Assert.Empty(_raised);
    }

    [Theory]
    [InlineData(SlotDeviceState.D0)]
    [InlineData(SlotDeviceState.D3Hot)]
    [InlineData(SlotDeviceState.D3Cold)]
    public void DswArmsAndDisarmsWakeInEveryStateWithoutChangingIt(SlotDeviceState state)
    {
        SlotPowerDevice device = NewDevice();
        Enter(device, state);
        Assert.False(device.WakeArmed);

        device.Write(SlotPowerDevice.CommandOffset, [EnableWake]);
        Assert.True(device.WakeArmed);
        device.Write(SlotPowerDevice.CommandOffset, [EnableWake]);
        Assert.True(device.WakeArmed);
        device.Write(SlotPowerDevice.CommandOffset, [DisableWake]);
        Assert.False(device.WakeArmed);

        Assert.Equal(state, device.State);
    }

    [Fact]
    public void WakeArmingSurvivesPowerTransitions()
    {
        SlotPowerDevice device = NewDevice();
        device.Write(SlotPowerDevice.CommandOffset, [EnableWake]);
        foreach (byte command in new[] { EnterD3Hot, PowerOff, PowerOn, EnterD0 })
        {
            device.Write(SlotPowerDevice.CommandOffset, [command]);
            Assert.True(device.WakeArmed);
        }
    }

    [Fact]
    public void LinuxsRuntimeSuspendAndResumeSequenceGoesThroughD3ColdAndBack()
    {
        // acpi_device_set_power: _DSW(1), _PS3, then the power resource's _OFF; on resume _ON,
        // then _PS0, then _DSW(0).
        SlotPowerDevice device = NewDevice();
        var states = new List<SlotDeviceState>();
        device.CommandWritten += _ => states.Add(device.State);

        foreach (byte command in new[] { EnableWake, EnterD3Hot, PowerOff, PowerOn, EnterD0, DisableWake })
        {
            device.Write(SlotPowerDevice.CommandOffset, [command]);
        }

        Assert.Equal(
            [SlotDeviceState.D0, SlotDeviceState.D3Hot, SlotDeviceState.D3Cold, SlotDeviceState.D0, SlotDeviceState.D0, SlotDeviceState.D0],
            states);
        Assert.False(device.WakeArmed);
    }

    [Fact]
    public void UnknownCommandsAreCountedAndChangeNothing()
    {
        SlotPowerDevice device = NewDevice();
        Enter(device, SlotDeviceState.D3Hot);
        int events = 0;
        device.CommandWritten += _ => events++;
        byte[] known = [EnterD0, EnterD3Hot, PowerOff, PowerOn, DisableWake, EnableWake, Eject];

        for (int value = 0; value <= byte.MaxValue; value++)
        {
            if (!known.Contains((byte)value))
            {
                device.Write(SlotPowerDevice.CommandOffset, [(byte)value]);
            }
        }

        Assert.Equal(256 - known.Length, device.IgnoredWrites);
        Assert.Equal(0, events);
        Assert.Equal(SlotDeviceState.D3Hot, device.State);
        Assert.False(device.WakeArmed);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(0, 4)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 1)]
    [InlineData(4, 1)]
    public void WritesOfOtherWidthsOrOffsetsAreIgnored(ulong offset, int width)
    {
        SlotPowerDevice device = NewDevice();
        int events = 0;
        device.CommandWritten += _ => events++;
        byte[] data = new byte[width];
        data.AsSpan().Fill(PowerOff);

        device.Write(offset, data);

        Assert.Equal(SlotDeviceState.D0, device.State);
        Assert.Equal(1, device.IgnoredWrites);
        Assert.Equal(0, events);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(0, 4)]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 1)]
    [InlineData(2, 4)]
    [InlineData(3, 1)]
    [InlineData(0x100, 2)]
    public void ReadsOfOtherWidthsOrOffsetsReturnZeroAndPopNothing(ulong offset, int width)
    {
        SlotPowerDevice device = NewDevice();
        Assert.True(device.PostNotify(0x80));
        byte[] data = new byte[width];
        data.AsSpan().Fill(0xAA);

        device.Read(offset, data);

        Assert.All(data, b => Assert.Equal(0, b));
        Assert.Equal(1, device.PendingNotifies);
        Assert.Equal(0x180, PopNotify(device));
    }

    [Theory]
    [InlineData(SlotDeviceState.D0)]
    [InlineData(SlotDeviceState.D3Hot)]
    [InlineData(SlotDeviceState.D3Cold)]
    public void EjectClearsTheSlotStatusInEveryStateAndLeavesThePowerStateAlone(SlotDeviceState state)
    {
        SlotPowerDevice device = NewDevice();
        Enter(device, state);
        Assert.Equal(PresentStatus, ReadSlotStatus(device));
        var seen = new List<(SlotPowerCommand Command, bool Ejected)>();
        device.CommandWritten += c => seen.Add((c, device.IsEjected));

        device.Write(SlotPowerDevice.CommandOffset, [Eject]);

        Assert.True(device.IsEjected);
        Assert.Equal(0, ReadSlotStatus(device));
        Assert.Equal(state, device.State);
        // Raised after the state changed, so the VMM sees an ejected slot.
        Assert.Equal([(SlotPowerCommand.Eject, true)], seen);

        // A second _EJ0 is still raised (the VMM decides it means nothing) and changes nothing.
        device.Write(SlotPowerDevice.CommandOffset, [Eject]);
        Assert.Equal(2, seen.Count);
        Assert.Equal(0, ReadSlotStatus(device));
        Assert.Equal(0, device.IgnoredWrites);
    }

    [Fact]
    public void AnEjectedSlotTakesNoNotifyCodesAndStaysEjectedThroughReset()
    {
        SlotPowerDevice device = NewDevice();
        Assert.True(device.PostNotify(0x80));
        _raised.Clear();

        device.Write(SlotPowerDevice.CommandOffset, [Eject]);

        // A code the device sends after its eject has no Device left to reach.
        Assert.False(device.PostNotify(0x03));
        Assert.Equal(1, device.DroppedNotifies);
        Assert.Empty(_raised);
        Assert.Equal(0x180, PopNotify(device));
        Assert.Equal(0, PopNotify(device));

        device.Reset();

        Assert.True(device.IsEjected);
        Assert.Equal(0, ReadSlotStatus(device));
        Assert.False(device.PostNotify(0x80));
    }

    [Fact]
    public void TheMailboxHandsOutCodesOldestFirstTaggedSoThatCodeZeroDiffersFromEmpty()
    {
        SlotPowerDevice device = NewDevice();
        Assert.Equal(0, PopNotify(device));

        foreach (byte code in new byte[] { 0x80, 0x81, 0x00, 0xFF, 0x03 })
        {
            Assert.True(device.PostNotify(code));
        }

        Assert.Equal(5, device.PendingNotifies);
        Assert.Equal([0x180, 0x181, 0x100, 0x1FF, 0x103, 0, 0], Enumerable.Range(0, 7).Select(_ => PopNotify(device)));
        Assert.Equal(0, device.PendingNotifies);
    }

    [Fact]
    public void PostNotifyRaisesTheNotifyGpeAndSignalWakeTheWakeGpe()
    {
        SlotPowerDevice device = NewDevice();

        Assert.True(device.PostNotify(0x80));
        Assert.Equal([NotifyGpe], _raised);
        device.SignalWake();
        Assert.Equal([NotifyGpe, WakeGpe], _raised);
        // Wake does not touch the mailbox.
        Assert.Equal(1, device.PendingNotifies);
    }

    [Fact]
    public void AFullMailboxDropsAndCountsAndRaisesNothing()
    {
        SlotPowerDevice device = NewDevice();
        for (int i = 0; i < SlotPowerDevice.NotifyCapacity; i++)
        {
            Assert.True(device.PostNotify((byte)i));
        }

        Assert.False(device.PostNotify(0xEE));
        Assert.False(device.PostNotify(0xEF));

        Assert.Equal(64, SlotPowerDevice.NotifyCapacity);
        Assert.Equal(2, device.DroppedNotifies);
        Assert.Equal(64, device.PendingNotifies);
        Assert.Equal(64, _raised.Count);

        // One popped makes room for one more, which comes out last: the ring wraps in order.
        Assert.Equal(0x100, PopNotify(device));
        Assert.True(device.PostNotify(0xF0));
        Assert.False(device.PostNotify(0xF1));
        Assert.Equal(3, device.DroppedNotifies);
        int[] rest = Enumerable.Range(0, 64).Select(_ => PopNotify(device)).ToArray();
        Assert.Equal(Enumerable.Range(1, 63).Select(i => 0x100 | i).Append(0x1F0), rest);
        Assert.Equal(0, PopNotify(device));
    }

    [Fact]
    public void ConcurrentPostersAndAGuestPoppingLoseAndDuplicateNothing()
    {
        // Each poster tags its codes with its number in the top two bits and counts 0..63 in
        // the rest, so the guest can check each poster's codes arrive all, once, in order.
        // Posters spin rather than yield on a full mailbox, so they race for each freed slot.
        const int Posters = 4;
        const int PerPoster = 5000;
        SlotPowerDevice device = NewDevice();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int finished = 0;

        Thread[] posters = Enumerable.Range(0, Posters).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerPoster && !stop.IsCancellationRequested; i++)
            {
                // A full mailbox is the guest being slow: try again, as the VMM's retry would.
                while (!device.PostNotify((byte)((p << 6) | (i % 64))) && !stop.IsCancellationRequested)
                {
                    Thread.SpinWait(1);
                }
            }
            Interlocked.Increment(ref finished);
        })).ToArray();
        foreach (Thread poster in posters)
        {
            poster.Start();
        }

        var received = new List<int>[Posters];
        for (int p = 0; p < Posters; p++)
        {
            received[p] = [];
        }
        // The guest pops until every poster is done and the mailbox is empty after that.
        while (true)
        {
            stop.Token.ThrowIfCancellationRequested();
            bool allPosted = Volatile.Read(ref finished) == Posters;
            int value = PopNotify(device);
            if (value == 0)
            {
                if (allPosted)
                {
                    break;
                }
                Thread.Yield();
                continue;
            }
            Assert.Equal(0x100, value & 0xFF00);
            received[(value >> 6) & 3].Add(value & 0x3F);
        }
        foreach (Thread poster in posters)
        {
            Assert.True(poster.Join(TimeSpan.FromSeconds(60)), "a poster did not finish");
        }

        for (int p = 0; p < Posters; p++)
        {
            Assert.Equal(Enumerable.Range(0, PerPoster).Select(i => i % 64), received[p]);
        }
        Assert.Equal(0, device.PendingNotifies);
        // Every accepted code raised the GPE once; refused ones were counted instead.
        Assert.Equal(Posters * PerPoster, _raised.Count);
    }

    [Fact]
    public void CommandWrittenRunsOutsideTheDevicesLock()
    {
        SlotPowerDevice device = NewDevice();
        bool postedFromAnotherThread = false;
        device.CommandWritten += _ =>
        {
            // A handler that waits on another thread using the device must not deadlock.
            bool posted = false;
            var other = new Thread(() => posted = device.PostNotify(0x02));
            other.Start();
            postedFromAnotherThread = other.Join(TimeSpan.FromSeconds(10)) && posted;
        };

        device.Write(SlotPowerDevice.CommandOffset, [PowerOff]);

        Assert.True(postedFromAnotherThread);
    }

    [Fact]
    public void ResetEmptiesTheMailboxPowersOnInD0AndDisarmsWake()
    {
        SlotPowerDevice device = NewDevice();
        device.Write(SlotPowerDevice.CommandOffset, [EnableWake]);
        device.Write(SlotPowerDevice.CommandOffset, [EnterD3Hot]);
        device.Write(SlotPowerDevice.CommandOffset, [PowerOff]);
        for (int i = 0; i < SlotPowerDevice.NotifyCapacity + 1; i++)
        {
            device.PostNotify(0x80);
        }
        Assert.Equal(0x180, PopNotify(device));
        int events = 0;
        device.CommandWritten += _ => events++;

        device.Reset();

        Assert.Equal(SlotDeviceState.D0, device.State);
        Assert.True(device.PowerResourceOn);
        Assert.Equal(1, ReadStatus(device));
        Assert.False(device.WakeArmed);
        Assert.Equal(0, device.PendingNotifies);
        Assert.Equal(0, PopNotify(device));
        Assert.Equal(1, device.DroppedNotifies);
        Assert.Equal(0, events);
        // The mailbox works as new after the reset.
        Assert.True(device.PostNotify(0x81));
        Assert.Equal(0x181, PopNotify(device));
    }

    [Fact]
    public void StateRoundTripsWithAWrappedMailbox()
    {
        SlotPowerDevice device = NewDevice();
        device.Write(SlotPowerDevice.CommandOffset, [EnableWake]);
        device.Write(SlotPowerDevice.CommandOffset, [EnterD3Hot]);
        device.Write(SlotPowerDevice.CommandOffset, [PowerOff]);
        device.Write(SlotPowerDevice.CommandOffset, [0x99]);
        // Fill, drain 60, refill past the end of the ring: the queue starts mid-array.
        for (int i = 0; i < SlotPowerDevice.NotifyCapacity; i++)
        {
            device.PostNotify((byte)i);
        }
        for (int i = 0; i < 60; i++)
        {
            PopNotify(device);
        }
        device.PostNotify(0xA0);
        device.PostNotify(0xA1);
        for (int i = 0; i < 62; i++)
        {
            device.PostNotify(0xB0);
        }
        _raised.Clear();

        SlotPowerState state = device.GetState();
        Assert.Equal(SlotDeviceState.D3Cold, state.State);
        Assert.True(state.WakeArmed);
        Assert.False(state.Ejected);
        Assert.Equal([60, 61, 62, 63, 0xA0, 0xA1, .. Enumerable.Repeat<byte>(0xB0, 58)], state.QueuedCodes);
        Assert.Equal(4, state.DroppedNotifies);
        Assert.Equal(1, state.IgnoredWrites);

        SlotPowerDevice restored = SlotPowerDevice.FromState(state, new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _raised.Enqueue);

        Assert.Equal(state, restored.GetState());
        Assert.Equal(SlotDeviceState.D3Cold, restored.State);
        Assert.False(restored.PowerResourceOn);
        Assert.True(restored.WakeArmed);
        Assert.Equal(64, restored.PendingNotifies);
        Assert.Empty(_raised);
        Assert.Equal(state.QueuedCodes.Select(c => 0x100 | c), Enumerable.Range(0, 64).Select(_ => PopNotify(restored)));
        Assert.Equal(0, PopNotify(restored));
        // The restored device works on: power comes back and the mailbox takes codes.
        restored.Write(SlotPowerDevice.CommandOffset, [PowerOn]);
        Assert.Equal(SlotDeviceState.D0, restored.State);
        Assert.True(restored.PostNotify(0x80));
        Assert.Equal([NotifyGpe], _raised);
    }

    [Fact]
    public void AnEjectedSlotRoundTripsEjected()
    {
        SlotPowerDevice device = NewDevice();
        device.Write(SlotPowerDevice.CommandOffset, [Eject]);

        SlotPowerState state = device.GetState();
        SlotPowerDevice restored = SlotPowerDevice.FromState(state, new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _raised.Enqueue);

        Assert.True(state.Ejected);
        Assert.NotEqual(state with { Ejected = false }, state);
        Assert.True(restored.IsEjected);
        Assert.Equal(0, ReadSlotStatus(restored));
        Assert.Equal(PresentStatus, ReadSlotStatus(SlotPowerDevice.FromState(state with { Ejected = false }, new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _raised.Enqueue)));
    }

    [Fact]
    public void SleepingChangesNothingAndTheSnapshotIsTheStateRecord()
    {
        SlotPowerDevice device = NewDevice();
        ISuspendable suspendable = device;
        device.Write(SlotPowerDevice.CommandOffset, [PowerOff]);
        device.PostNotify(0x80);

        suspendable.Sleep();
        // A code the host posts while the guest sleeps still queues and raises its GPE: the
        // GPE block decides whether that wakes the guest.
        Assert.True(device.PostNotify(0x81));
        suspendable.Wake();

        Assert.Equal(new SlotPowerState { State = SlotDeviceState.D3Cold, QueuedCodes = [0x80, 0x81] }, suspendable.Snapshot());
        Assert.Equal([NotifyGpe, NotifyGpe], _raised);
        Assert.Contains("\\_SB_.PCI0.S03_", suspendable.PowerName, StringComparison.Ordinal);
    }

    [Fact]
    public void FromStateRejectsAStateNoDeviceCouldHave()
    {
        var state = new SlotPowerState();
        SlotPowerDevice Restore(SlotPowerState s) =>
            SlotPowerDevice.FromState(s, new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _ => { });

        Assert.Equal(SlotDeviceState.D0, Restore(state).State);
        Assert.Throws<ArgumentException>(() => Restore(state with { QueuedCodes = new byte[SlotPowerDevice.NotifyCapacity + 1] }));
        Assert.Throws<ArgumentException>(() => Restore(state with { State = (SlotDeviceState)7 }));
        Assert.Throws<ArgumentException>(() => Restore(state with { DroppedNotifies = -1 }));
        Assert.Throws<ArgumentException>(() => Restore(state with { IgnoredWrites = -1 }));
        // The place is checked as the constructor checks it.
        Assert.Throws<ArgumentException>(() => SlotPowerDevice.FromState(state, new PioAddress(0x640), 1, 1, "\\_SB.PCI0.S03_", _ => { }));
    }

    [Fact]
    public void TheConstructorRejectsWhatTheAmlCouldNotSay()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotPowerDevice(new PioAddress(0xFFFD), 0x10, 0x11, "\\_SB.PCI0.S03_", _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotPowerDevice(new PioAddress(0x640), -1, 0x11, "\\_SB.PCI0.S03_", _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotPowerDevice(new PioAddress(0x640), 0x10, 0x100, "\\_SB.PCI0.S03_", _ => { }));
        Assert.Throws<ArgumentException>(() => new SlotPowerDevice(new PioAddress(0x640), 0x10, 0x10, "\\_SB.PCI0.S03_", _ => { }));
        // Relative to \_GPE, where the GPE methods live, this would be another object.
        Assert.Throws<ArgumentException>(() => new SlotPowerDevice(new PioAddress(0x640), 0x10, 0x11, "S03_", _ => { }));
        Assert.Throws<ArgumentNullException>(() => new SlotPowerDevice(new PioAddress(0x640), 0x10, 0x11, "\\_SB.PCI0.S03_", null!));

        var last = new SlotPowerDevice(new PioAddress(0xFFFC), 0xFF, 0, "\\S03_", _ => { });
        Assert.Equal(0xFFFC, last.Port.Value);
        Assert.Equal(0xFF, last.NotifyGpe);
        Assert.Equal(0, last.WakeGpe);
        Assert.Equal("\\S03_", last.Device.ToString());
    }

    private static void Enter(SlotPowerDevice device, SlotDeviceState state)
    {
        switch (state)
        {
            case SlotDeviceState.D3Hot:
                device.Write(SlotPowerDevice.CommandOffset, [EnterD3Hot]);
                break;
            case SlotDeviceState.D3Cold:
                device.Write(SlotPowerDevice.CommandOffset, [PowerOff]);
                break;
        }
        Assert.Equal(state, device.State);
    }

    [Fact]
    public void Each_code_the_guest_reads_reports_its_wait_in_the_mailbox_and_restored_or_empty_reads_report_nothing()
    {
        SlotPowerDevice device = NewDevice();
        var waits = new List<TimeSpan>();
        device.NotifyRead += waits.Add;
        device.PostNotify(0x80);
        Thread.Sleep(5);
        device.PostNotify(0x81);

        Assert.Equal(0x180, PopNotify(device));
        Assert.Equal(0x181, PopNotify(device));
        Assert.Equal(0, PopNotify(device));

        Assert.Equal(2, waits.Count);
        Assert.True(waits[0] >= TimeSpan.FromMilliseconds(5), $"{waits[0]}");
        Assert.True(waits[1] < waits[0], $"{waits[1]} vs {waits[0]}");

        // A code restored from a snapshot began its wait in another process: no figure for it.
        device.PostNotify(0x82);
        SlotPowerDevice restored = SlotPowerDevice.FromState(device.GetState(), new PioAddress(0x640), NotifyGpe, WakeGpe, "\\_SB.PCI0.S03_", _ => { });
        var restoredWaits = new List<TimeSpan>();
        restored.NotifyRead += restoredWaits.Add;
        Assert.Equal(0x182, PopNotify(restored));
        Assert.Empty(restoredWaits);
    }

    private static int ReadStatus(SlotPowerDevice device)
    {
        byte[] data = [0xAA];
        device.Read(SlotPowerDevice.CommandOffset, data);
        return data[0];
    }

    private static int ReadSlotStatus(SlotPowerDevice device)
    {
        byte[] data = [0xAA];
        device.Read(SlotPowerDevice.StatusOffset, data);
        return data[0];
    }

    private static int PopNotify(SlotPowerDevice device)
    {
        byte[] data = [0xAA, 0xAA];
        device.Read(SlotPowerDevice.NotifyOffset, data);
        return BinaryPrimitives.ReadUInt16LittleEndian(data);
    }
}
