using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>One message off the wire: header, payload and the descriptors that came with it.
/// Descriptors not taken with <see cref="TakeFd"/> are closed on Dispose, so a message with
/// unexpected fds never leaks them (libvfio-user closes them too).</summary>
public sealed class ReceivedMessage : IDisposable
{
    private readonly List<SafeFd> _fds;

    internal ReceivedMessage(MessageHeader header, byte[] payload, List<SafeFd> fds)
    {
        Header = header;
        Payload = payload;
        _fds = fds;
    }

    /// <summary>The message's header.</summary>
    public MessageHeader Header { get; }

    /// <summary>The bytes after the header.</summary>
    public byte[] Payload { get; }

    /// <summary>How many descriptors came with the message (taken ones included).</summary>
    public int FdCount => _fds.Count;

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
    }
}
