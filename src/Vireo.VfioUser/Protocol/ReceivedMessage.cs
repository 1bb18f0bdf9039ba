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

    public MessageHeader Header { get; }

    public byte[] Payload { get; }

    public int FdCount => _fds.Count;

    /// <summary>Transfers ownership of descriptor <paramref name="index"/> to the caller.</summary>
    public SafeFd TakeFd(int index)
    {
        SafeFd fd = _fds[index];
        _fds[index] = new SafeFd();
        return fd;
    }

    public void Dispose()
    {
        foreach (SafeFd fd in _fds)
        {
            fd.Dispose();
        }
        _fds.Clear();
    }
}
