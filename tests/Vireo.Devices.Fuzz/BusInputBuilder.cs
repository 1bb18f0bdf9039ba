using System.Buffers.Binary;
using System.Numerics;

namespace Vireo.Devices.Fuzz;

/// <summary>Writes a <see cref="BusTarget"/> input from accesses at absolute addresses: each
/// address becomes the first region (as the machine stands at the start) that holds it, so a
/// seed reads as the guest's accesses and the fuzzer mutates offsets inside real windows.</summary>
public sealed class BusInputBuilder : IDisposable
{
    private readonly List<byte> _bytes;

    /// <summary>An input for the machine the <paramref name="header"/> describes.</summary>
    public BusInputBuilder(byte flags = 0, byte vectors = 7, byte slot = 2, byte serialRxCapacity = 63)
    {
        byte[] header = [flags, vectors, slot, serialRxCapacity];
        _bytes = [.. header];
        Machine = new BusMachine(BusShape.Parse(header));
    }

    /// <summary>The machine as it stands before the input runs, for addresses and offsets.</summary>
    public BusMachine Machine { get; }

    /// <summary>A port write of <paramref name="size"/> (1, 2 or 4) bytes.</summary>
    public BusInputBuilder Out(ushort port, int size, uint value)
    {
        Access(BusOp.PioWrite, PioRegion(port), size, value);
        return this;
    }

    /// <summary>A port read.</summary>
    public BusInputBuilder In(ushort port, int size = 1)
    {
        Access(BusOp.PioRead, PioRegion(port), size, null);
        return this;
    }

    /// <summary>An MMIO write of <paramref name="size"/> (1, 2, 4 or 8) bytes.</summary>
    public BusInputBuilder Write(ulong address, int size, ulong value)
    {
        Access(BusOp.MmioWrite, MmioRegion(address), size, value);
        return this;
    }

    /// <summary>An MMIO read.</summary>
    public BusInputBuilder Read(ulong address, int size = 4)
    {
        Access(BusOp.MmioRead, MmioRegion(address), size, null);
        return this;
    }

    /// <summary>Something the host does.</summary>
    public BusInputBuilder Host(BusHostEvent e, byte argument = 0)
    {
        _bytes.AddRange([(byte)BusOp.Host, (byte)e, argument]);
        return this;
    }

    /// <summary>The clock moves on.</summary>
    public BusInputBuilder Time(ushort milliseconds)
    {
        _bytes.AddRange([(byte)BusOp.Time, (byte)milliseconds, (byte)(milliseconds >> 8)]);
        return this;
    }

    /// <summary>The input so far.</summary>
    public byte[] Build() => [.. _bytes];

    /// <inheritdoc/>
    public void Dispose() => Machine.Dispose();

    private (int Region, uint Offset) PioRegion(ushort port)
    {
        for (int r = 0; r < 7; r++)
        {
            (ushort start, int span) = BusTarget.PioRegion(Machine, r);
            if ((uint)(port - start) < (uint)span)
            {
                return (r, (uint)(port - start));
            }
        }
        return (7, port);
    }

    private (int Region, uint Offset) MmioRegion(ulong address)
    {
        for (int r = 0; r < 7; r++)
        {
            (ulong start, ulong span) = BusTarget.MmioRegion(Machine, r);
            if (address - start < span)
            {
                return (r, (uint)(address - start));
            }
        }
        if (address % 0x1_0000 == 0 && address >> 16 < 1 << 24)
        {
            return (7, (uint)(address >> 16));
        }
        throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is in no MMIO region of the bus target");
    }

    private void Access(BusOp op, (int Region, uint Offset) at, int size, ulong? value)
    {
        if (size is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "an access is 1, 2, 4 or 8 bytes");
        }
        _bytes.Add((byte)((int)op | (BitOperations.Log2((uint)size) << 3) | (at.Region << 5)));
        _bytes.AddRange([(byte)at.Offset, (byte)(at.Offset >> 8), (byte)(at.Offset >> 16)]);
        if (value is ulong v)
        {
            Span<byte> data = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(data, v);
            _bytes.AddRange(data[..size]);
        }
    }
}
