using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>A guest driver of one virtio-blk function: negotiates every offered feature (or those
/// of them in a mask), then submits requests as descriptor chains at fixed addresses and reads back
/// status and used length.</summary>
public sealed class BlockRig : IDisposable
{
    public const ulong Header = 0x38000;
    public const ulong Status = 0x38ff0;
    public const ulong Data = 0x40000;
    public const ulong DataEnd = 0x100000;

    public BlockRig(IBlockBackend backend, string id = "vireo-disk-0", ulong accept = ulong.MaxValue, GuestMemory? memory = null, IBlockIoEngine? engine = null)
    {
        Memory = memory ?? DriverRing.NewMemory();
        Device = new VirtioBlock(backend, id, engine);
        Function = new VirtioPciFunction("blk", Device, Memory, Interrupt);
        Driver = new PciDriver(Function);
        Ring = new DriverRing(Memory, 16);
        OfferedFeatures = Driver.DeviceFeatures();
        Negotiate(OfferedFeatures & accept);
    }

    public GuestMemory Memory { get; }
    public VirtioBlock Device { get; }
    public VirtioPciFunction Function { get; }
    public PciDriver Driver { get; }
    public DriverRing Ring { get; }
    public RecordingInterrupt Interrupt { get; } = new();
    public ulong OfferedFeatures { get; }

    /// <summary>Resets the device and initializes it again accepting <paramref name="features"/>.</summary>
    public void Negotiate(ulong features)
    {
        Ring.Restart();
        Assert.Equal(0x0f, Driver.Initialize(features, 16));
    }

    public static (ulong, uint, bool) In(ulong address, uint length) => (address, length, true);

    public static (ulong, uint, bool) Out(ulong address, uint length) => (address, length, false);

    public byte[] ReadConfig(int offset, int length)
    {
        byte[] bytes = new byte[length];
        Function.ReadBar(0, VirtioPciFunction.DeviceConfigOffset + (ulong)offset, bytes);
        return bytes;
    }

    public void WriteHeader(uint type, ulong sector, ulong at = Header)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 0xdeadbeef); // reserved: ignored
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], sector);
        Memory.Write(new GuestAddress(at), header);
    }

    public void WriteSegment(ulong at, ulong sector, uint count, uint flags)
        => Memory.Write(new GuestAddress(at), new VirtioBlockDiscardSegment { Sector = sector, SectorCount = count, Flags = flags });

    public void Fill(ulong at, ReadOnlySpan<byte> bytes) => Memory.Write(new GuestAddress(at), bytes);

    public byte[] Guest(ulong at, int length)
    {
        byte[] bytes = new byte[length];
        Memory.Read(new GuestAddress(at), bytes);
        return bytes;
    }

    /// <summary>Chains <paramref name="buffers"/> from descriptor 0, offers it, kicks, and returns
    /// the used length and the byte at the end of the last buffer (the status).</summary>
    public (byte Status, uint Used) Submit(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        ushort before = Ring.UsedIdx;
        for (int i = 0; i < buffers.Length; i++)
        {
            (ulong address, uint length, bool writable) = buffers[i];
            bool more = i + 1 < buffers.Length;
            Ring.Descriptor((ushort)i, address, length, (ushort)((writable ? VirtqDescriptor.FlagWrite : 0) | (more ? VirtqDescriptor.FlagNext : 0)), (ushort)(i + 1));
        }
        (ulong lastAddress, uint lastLength, _) = buffers[^1];
        Memory.Write(new GuestAddress(lastAddress + lastLength - 1), (byte)0xee); // not a status the device could write
        Ring.Offer(0);
        Driver.Kick(0);
        WaitForUsed((ushort)(before + 1));
        Assert.Equal((ushort)(before + 1), Ring.UsedIdx);
        VirtqUsedElement used = Ring.Used(before);
        Assert.Equal(0U, used.Id);
        return (Memory.Read<byte>(new GuestAddress(lastAddress + lastLength - 1)), used.Length);
    }

    /// <summary>With an engine, does what the queue worker does until the used ring reaches
    /// <paramref name="usedIdx"/>: sleeps on the engine's completions and serves the queue.</summary>
    public void WaitForUsed(ushort usedIdx)
    {
        if (Device.Engine is not IBlockIoEngine engine)
        {
            return;
        }
        using Epoll epoll = Epoll.Create();
        epoll.Add(engine.CompletionSource, 1);
        Span<ulong> ready = stackalloc ulong[1];
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while ((short)(Ring.UsedIdx - usedIdx) < 0 && DateTime.UtcNow < deadline)
        {
            if (epoll.Wait(ready, TimeSpan.FromSeconds(1)) > 0)
            {
                Assert.Equal(1UL, Device.ServeHostEvent(0));
                Function.NotifyQueue(0);
            }
        }
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
    }
}
