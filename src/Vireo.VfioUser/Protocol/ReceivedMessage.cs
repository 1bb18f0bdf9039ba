using System.Buffers;
using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>One message off the wire: header, payload and the descriptors that came with it.
/// Descriptors not taken with <see cref="TakeFd"/> are closed on Dispose, so a message with
/// unexpected fds never leaks them (libvfio-user closes them too).</summary>
public sealed class ReceivedMessage : IDisposable
{
    private readonly List<SafeFd> _fds;
    private readonly int _length;
    private byte[]? _payload;
    // A payload in a pooled array (a device thread's DMA reply), given back on Dispose.
    private byte[]? _rented;

    internal ReceivedMessage(MessageHeader header, byte[] payload, List<SafeFd> fds)
    {
        Header = header;
        _payload = payload;
        _length = payload.Length;
        _fds = fds;
    }

    private ReceivedMessage(MessageHeader header, byte[] rented, int length, List<SafeFd> fds)
    {
        Header = header;
        _rented = rented;
        _length = length;
        _fds = fds;
    }

    /// <summary>The message's header.</summary>
    public MessageHeader Header { get; }

    /// <summary>The bytes after the header (for a pooled message, a copy made on first use).</summary>
    /// <exception cref="ObjectDisposedException">A pooled message was disposed before its payload was copied.</exception>
    public byte[] Payload => _payload ??= Body.ToArray();

    /// <summary>The bytes after the header, without a copy; valid until Dispose.</summary>
    internal ReadOnlySpan<byte> Body => _payload ?? (Volatile.Read(ref _rented) ?? throw new ObjectDisposedException(nameof(ReceivedMessage))).AsSpan(0, _length);

    /// <summary>How many descriptors came with the message (taken ones included).</summary>
    public int FdCount => _fds.Count;

    /// <summary>A message whose payload lies in <paramref name="rented"/> (from
    /// <see cref="ArrayPool{T}.Shared"/>, owned by the message from now on).</summary>
    internal static ReceivedMessage Pooled(MessageHeader header, byte[] rented, int length, List<SafeFd> fds) => new(header, rented, length, fds);

    /// <summary>Transfers ownership of descriptor <paramref name="index"/> to the caller.</summary>
    public SafeFd TakeFd(int index)
    {
        SafeFd fd = _fds[index];
        _fds[index] = new SafeFd();
        return fd;
    }

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        foreach (SafeFd fd in _fds)
        {
            fd.Dispose();
        }
        _fds.Clear();
        if (Interlocked.Exchange(ref _rented, null) is byte[] rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
