using System.Buffers.Binary;
using System.Collections.Concurrent;
using Vireo.Pci;

namespace Vireo.VfioUser.Tests;

/// <summary>A small device for tests: BAR0 trapped registers (0x0 scratch, 0x4 doorbell that
/// DMA-copies 16 bytes from src 0x8 to dst 0x10 and raises vector 0), BAR2 shared memory with
/// one mmap area and MSI-X table/PBA in its trapped second page, PM capability, migration.
/// ioeventfds: the doorbell 0x4 (any value), 0x20 matching 0x5a, 0x28 any value; writes to
/// 0x20 and 0x28 are recorded.</summary>
internal sealed class TestDevice : VfioUserPciDevice
{
    public TestDevice()
        : base(new PciConfigSpace(0x1af4, 0x10f0, 0x120000, revision: 1))
    {
        Config.SetInterruptPin(1);
        Config.AddPowerManagement();
        DefineBar(0, PciBar.Trapped(0x100));
        DefineBar(2, PciBar.SharedMemory(0x2000, [new PciMmapArea(0, 0x1000)]));
        DefineMsix(4, 2, 0x1000, 2, 0x1800);
        DefineIoEventFd(0, 4, 4);
        DefineIoEventFd(0, 0x20, 4, 0x5a);
        DefineIoEventFd(0, 0x28, 2);
        Config.Seal();
    }

    public uint Scratch { get; set; }

    public ulong Source { get; set; }

    public ulong Destination { get; set; }

    public List<bool> LowPowerChanges { get; } = [];

    public ConcurrentQueue<(ulong Offset, ulong Value, int Length)> RecordedWrites { get; } = new();

    public int Resets { get; private set; }

    private volatile bool _intx;

    /// <summary>A level-triggered INTx source: sets the line and tells the server.</summary>
    public void SetIntx(bool asserted)
    {
        _intx = asserted;
        Host.IntxChanged();
    }

    protected override bool IntxAsserted => _intx;

    public override bool SupportsMigration => true;

    protected internal override void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        data.Clear();
        if (bar == 0 && offset == 0 && data.Length == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, Scratch);
        }
    }

    protected internal override void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (bar != 0)
        {
            return;
        }
        switch (offset)
        {
            case 0 when data.Length == 4:
                Scratch = BinaryPrimitives.ReadUInt32LittleEndian(data);
                break;
            case 8 when data.Length == 8:
                Source = BinaryPrimitives.ReadUInt64LittleEndian(data);
                break;
            case 0x10 when data.Length == 8:
                Destination = BinaryPrimitives.ReadUInt64LittleEndian(data);
                break;
            case 0x20 or 0x28:
                Span<byte> value = stackalloc byte[8];
                data.CopyTo(value);
                RecordedWrites.Enqueue((offset, BinaryPrimitives.ReadUInt64LittleEndian(value), data.Length));
                break;
            case 4:
                byte[] buffer = new byte[16];
                Host.DmaRead(Source, buffer);
                Host.DmaWrite(Destination, buffer);
                Host.Interrupt(0);
                break;
        }
    }

    protected internal override void Reset()
    {
        Resets++;
        Scratch = 0;
        _intx = false;
    }

    protected internal override void LowPowerChanged(bool lowPower) => LowPowerChanges.Add(lowPower);

    protected internal override byte[] SaveState()
    {
        byte[] state = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(state, Scratch);
        return state;
    }

    protected internal override void LoadState(ReadOnlySpan<byte> state) => Scratch = BinaryPrimitives.ReadUInt32LittleEndian(state);
}
