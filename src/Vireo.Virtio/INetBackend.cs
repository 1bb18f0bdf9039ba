using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>Where a network device's frames go and come from: a host tap, a test's queues. Every
/// frame travels with its 12-byte <see cref="VirtioNetHeader"/>, whose offload fields the backend
/// honours (a tap hands them to the kernel as they are). A failure of the backend itself is an
/// <see cref="IOException"/>; a frame the backend refuses is not.</summary>
/// <remarks>Calls come from one thread at a time (the device's, under the transport's lock); the
/// machine also waits on <see cref="ReadableHandle"/> from its own thread.</remarks>
public interface INetBackend
{
    /// <summary>A descriptor that is readable while a frame waits for <see cref="Receive"/>: the
    /// machine's worker waits on it (epoll) and then has the device serve its receive queue.</summary>
    SafeFd ReadableHandle { get; }

    /// <summary>The offloads the backend handles both ways: it takes frames from the guest that
    /// still need them (partial checksums, TSO), and it can hand such frames to a guest that takes
    /// them (<see cref="SetOffloads"/>). The device offers the matching feature bits and no others.</summary>
    TunOffloads SupportedOffloads { get; }

    /// <summary>Sets which offloads the frames handed to <see cref="Receive"/> may still need: those
    /// the guest's driver negotiated, none after a reset.</summary>
    /// <param name="offloads">A subset of <see cref="SupportedOffloads"/>.</param>
    /// <returns>The offloads now in force, a subset of <paramref name="offloads"/>.</returns>
    /// <exception cref="IOException">The backend failed.</exception>
    TunOffloads SetOffloads(TunOffloads offloads);

    /// <summary>Sends one frame from the guest.</summary>
    /// <param name="header">The frame's <see cref="VirtioNetHeader.Size"/>-byte header, num_buffers zero.</param>
    /// <param name="frame">The Ethernet frame.</param>
    /// <returns>True when the backend took it; false when it refused the frame (full, or the
    /// header does not fit the frame), which is then lost.</returns>
    /// <exception cref="IOException">The backend failed.</exception>
    bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame);

    /// <summary>Sends one frame gathered from <paramref name="frame"/>'s pieces: a guest's
    /// transmit buffers, in place (a tap does it in one writev). By default the pieces are
    /// copied into one buffer for <see cref="Send(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    /// <param name="header">As for the other Send.</param>
    /// <param name="frame">The frame's pieces, in order, in native memory mapped for the call.</param>
    /// <returns>As for the other Send.</returns>
    /// <exception cref="IOException">The backend failed.</exception>
    unsafe bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<IoSegment> frame)
    {
        byte[] gathered = new byte[IoSegment.TotalLength(frame)];
        int at = 0;
        foreach (IoSegment piece in frame)
        {
            new ReadOnlySpan<byte>((void*)piece.Address, piece.Length).CopyTo(gathered.AsSpan(at));
            at += piece.Length;
        }
        return Send(header, gathered);
    }

    /// <summary>Takes the next frame for the guest, if one waits. Never blocks.</summary>
    /// <param name="header">Receives the frame's <see cref="VirtioNetHeader.Size"/>-byte header.</param>
    /// <param name="frame">Receives the frame; <see cref="VirtioNet.MaxFrameLength"/> bytes hold any.</param>
    /// <returns>The frame's length, or -1 when none waits; a length above
    /// <paramref name="frame"/>.Length means it did not fit and is lost.</returns>
    /// <exception cref="IOException">The backend failed.</exception>
    int Receive(Span<byte> header, Span<byte> frame);
}
