using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>A network backend in memory: frames for the guest wait in <see cref="Inbound"/>, and
/// what the guest sends lands in <see cref="Sent"/>.</summary>
public sealed class FakeNetBackend : INetBackend, IDisposable
{
    private readonly EventFd _readable = EventFd.Create();

    public Queue<(byte[] Header, byte[] Frame)> Inbound { get; } = new();

    public List<(byte[] Header, byte[] Frame)> Sent { get; } = [];

    public List<TunOffloads> OffloadCalls { get; } = [];

    public int ReceiveCalls { get; private set; }

    /// <summary>Send answers false (a full or refusing backend).</summary>
    public bool RefuseSends { get; set; }

    /// <summary>Send throws (a failing backend).</summary>
    public bool FailSends { get; set; }

    public SafeFd ReadableHandle => _readable.Handle;

    public TunOffloads SupportedOffloads { get; init; } = TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn;

    public void Enqueue(byte[] frame, VirtioNetHeader header = default)
    {
        byte[] bytes = new byte[VirtioNetHeader.Size];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in header);
        Inbound.Enqueue((bytes, frame));
    }

    public TunOffloads SetOffloads(TunOffloads offloads)
    {
        OffloadCalls.Add(offloads);
        return offloads & SupportedOffloads;
    }

    public bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        if (FailSends)
        {
            throw new IOException("the fake backend failed");
        }
        if (RefuseSends)
        {
            return false;
        }
        Sent.Add((header.ToArray(), frame.ToArray()));
        return true;
    }

    public int Receive(Span<byte> header, Span<byte> frame)
    {
        ReceiveCalls++;
        if (!Inbound.TryDequeue(out (byte[] Header, byte[] Frame) next))
        {
            return -1;
        }
        next.Header.CopyTo(header);
        next.Frame.AsSpan(0, Math.Min(next.Frame.Length, frame.Length)).CopyTo(frame);
        return next.Frame.Length;
    }

    public void Dispose() => _readable.Dispose();
}
