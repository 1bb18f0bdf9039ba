using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Virtio.Tests;

/// <summary>A guest driver's view of a virtio-pci function: finds the structures through the
/// capability list, as Linux's virtio_pci_modern does, and touches them with BAR accesses.</summary>
public sealed class PciDriver
{
    private readonly IPciFunction _function;

    public PciDriver(IPciFunction function)
    {
        _function = function;
        int cap = ConfigU8(PciConfigSpace.CapabilityPointerOffset);
        while (cap != 0)
        {
            if (ConfigU8(cap) == VirtioPciFunction.VendorCapabilityId)
            {
                byte type = ConfigU8(cap + 3);
                uint offset = ConfigU32(cap + 8);
                Assert.Equal(0, ConfigU8(cap + 4));
                switch (type)
                {
                    case VirtioPciFunction.CapCommonCfg:
                        Common = offset;
                        break;
                    case VirtioPciFunction.CapNotifyCfg:
                        Notify = offset;
                        NotifyMultiplier = ConfigU32(cap + 16);
                        break;
                    case VirtioPciFunction.CapIsrCfg:
                        Isr = offset;
                        break;
                    default:
                        break;
                }
            }
            else if (ConfigU8(cap) == PciConfigSpace.MsixCapabilityId)
            {
                MsixCap = cap;
                MsixTable = ConfigU32(cap + 4) & ~7u;
                MsixPba = ConfigU32(cap + 8) & ~7u;
            }
            cap = ConfigU8(cap + 1);
        }
    }

    public uint Common { get; } = uint.MaxValue;
    public uint Notify { get; } = uint.MaxValue;
    public uint NotifyMultiplier { get; }
    public uint Isr { get; } = uint.MaxValue;
    public int MsixCap { get; }
    public uint MsixTable { get; }
    public uint MsixPba { get; }

    public byte ConfigU8(int offset)
    {
        Span<byte> b = stackalloc byte[1];
        _function.ReadConfig(offset, b);
        return b[0];
    }

    public uint ConfigU32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        _function.ReadConfig(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public ulong Read(uint offset, int width)
    {
        Span<byte> b = stackalloc byte[8];
        _function.ReadBar(0, offset, b[..width]);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    public void Write(uint offset, int width, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _function.WriteBar(0, offset, b[..width]);
    }

    public byte Status
    {
        get => (byte)Read(Common + 0x14, 1);
        set => Write(Common + 0x14, 1, value);
    }

    public ulong DeviceFeatures()
    {
        Write(Common + 0x00, 4, 0);
        ulong low = Read(Common + 0x04, 4);
        Write(Common + 0x00, 4, 1);
        return low | (Read(Common + 0x04, 4) << 32);
    }

    public void DriverFeatures(ulong features)
    {
        Write(Common + 0x08, 4, 0);
        Write(Common + 0x0c, 4, (uint)features);
        Write(Common + 0x08, 4, 1);
        Write(Common + 0x0c, 4, features >> 32);
    }

    /// <summary>Sets or clears Bus Master Enable, as Linux's pci_set_master / pci_clear_master.</summary>
    public void BusMaster(bool enabled)
    {
        Span<byte> command = stackalloc byte[2];
        _function.ReadConfig(PciConfigSpace.CommandOffset, command);
        command[0] = enabled ? (byte)(command[0] | PciConfigSpace.CommandBusMaster) : (byte)(command[0] & ~PciConfigSpace.CommandBusMaster);
        _function.WriteConfig(PciConfigSpace.CommandOffset, command);
    }

    public void EnableMsix()
    {
        Span<byte> control = stackalloc byte[2];
        _function.ReadConfig(MsixCap + 2, control);
        control[1] |= 0x80;
        _function.WriteConfig(MsixCap + 2, control);
    }

    public void MaskVector(int vector, bool masked) => Write(MsixTable + ((uint)vector * 16) + 12, 4, masked ? 1u : 0u);

    /// <summary>The full §3.1.1 initialization for queue 0 at the DriverRing addresses; returns
    /// the status read back. Without <paramref name="msix"/> the driver leaves MSI-X off and sets
    /// no vectors, as Linux's virtio_pci does on INTx.</summary>
    public byte Initialize(ulong features, ushort queueSize, bool msix = true)
    {
        BusMaster(true);
        Status = 0;
        Status = 1;
        Status = 1 | 2;
        DriverFeatures(features);
        Status = 1 | 2 | 8;
        if ((Status & 8) == 0)
        {
            return Status;
        }
        if (msix)
        {
            EnableMsix();
            MaskVector(0, false);
            MaskVector(1, false);
        }
        Write(Common + 0x10, 2, msix ? 0UL : 0xffff); // msix_config
        Write(Common + 0x16, 2, 0); // queue_select
        Write(Common + 0x18, 2, queueSize);
        Write(Common + 0x1a, 2, msix ? 1UL : 0xffff); // queue_msix_vector
        Write(Common + 0x20, 4, DriverRing.DescAddress);
        Write(Common + 0x24, 4, 0);
        Write(Common + 0x28, 8, DriverRing.AvailAddress);
        Write(Common + 0x30, 4, DriverRing.UsedAddress);
        Write(Common + 0x34, 4, 0);
        Write(Common + 0x1c, 2, 1); // queue_enable
        Status = 1 | 2 | 8 | 4;
        return Status;
    }

    /// <summary>§3.1.1 from a reset, as Linux's virtio_pci does it: queue q on <paramref name="rings"/>[q]
    /// (restarted, at its size) with MSI-X vector q + 1, msix_config on vector 0, every vector
    /// unmasked; asserts FEATURES_OK and DRIVER_OK were reached.</summary>
    public void InitializeQueues(ulong features, params QueueRing[] rings)
    {
        foreach (QueueRing ring in rings)
        {
            ring.Restart();
        }
        BusMaster(true);
        Status = 0;
        Status = 1;
        Status = 1 | 2;
        DriverFeatures(features);
        Status = 1 | 2 | 8;
        Assert.Equal(1 | 2 | 8, Status);
        EnableMsix();
        for (int v = 0; v <= rings.Length; v++)
        {
            MaskVector(v, false);
        }
        Write(Common + 0x10, 2, 0); // msix_config
        for (ushort q = 0; q < rings.Length; q++)
        {
            Write(Common + 0x16, 2, q); // queue_select
            Write(Common + 0x18, 2, rings[q].Size);
            Write(Common + 0x1a, 2, (ushort)(q + 1)); // queue_msix_vector
            Write(Common + 0x20, 8, rings[q].Desc);
            Write(Common + 0x28, 8, rings[q].Avail);
            Write(Common + 0x30, 8, rings[q].Used);
            Write(Common + 0x1c, 2, 1); // queue_enable
        }
        Status = 1 | 2 | 8 | 4;
        Assert.Equal(0x0f, Status);
    }

    public void Kick(ushort queue)
    {
        Write(Common + 0x16, 2, queue);
        ulong notifyOff = Read(Common + 0x1e, 2);
        Write(Notify + ((uint)notifyOff * NotifyMultiplier), 2, queue);
    }
}

/// <summary>An MSI-X owner as a machine behaves (table, Function Mask, per-vector mask,
/// pending bits delivered on unmask); <see cref="Signals"/> lists the vectors delivered.</summary>
public sealed class RecordingInterrupt(int vectors = 2) : IMsixController
{
    private readonly MsixTable _table = new(vectors);
    private readonly bool[] _pending = new bool[vectors];
    private bool _enabled;
    private bool _functionMasked;

    public List<int> Signals { get; } = [];

    public int Vectors => _table.Vectors;

    public void ReadTable(ulong offset, Span<byte> data) => _table.Read(offset, data);

    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        _table.Write(offset, data);
        DeliverPending();
    }

    public void ReadPba(ulong offset, Span<byte> data) => MsixTable.ReadPba(_table.Vectors, offset, data, v => _pending[v]);

    public void SetControl(bool enabled, bool functionMasked)
    {
        (_enabled, _functionMasked) = (enabled, functionMasked);
        DeliverPending();
    }

    public void Signal(int vector)
    {
        if (!_enabled)
        {
            return;
        }
        _pending[vector] = true;
        DeliverPending();
    }

    private void DeliverPending()
    {
        for (int v = 0; v < _pending.Length && _enabled && !_functionMasked; v++)
        {
            if (_pending[v] && !_table.IsMasked(v))
            {
                _pending[v] = false;
                Signals.Add(v);
            }
        }
    }
}
