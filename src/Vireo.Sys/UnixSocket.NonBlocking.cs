using System.Runtime.InteropServices;

namespace Vireo.Sys;

// The calls of an owner that serves many sockets from one epoll loop: none of them ever waits.
public sealed partial class UnixSocket
{
    // <bits/socket.h>, <bits/socket_type.h>
    private const int SockNonblock = 0x800;
    private const int MsgDontWait = 0x40;

    /// <summary>
    /// Connects to the listening socket at <paramref name="path"/> without waiting: the new
    /// socket is non-blocking (O_NONBLOCK), and a listener whose backlog is full is EAGAIN rather
    /// than a wait. Throws <see cref="ErrnoException"/> (ENOENT, ECONNREFUSED, EACCES, EAGAIN) when
    /// it cannot connect, <see cref="ArgumentException"/> for a path that does not fit a
    /// sockaddr_un.
    /// </summary>
    public static UnixSocket ConnectNonBlocking(string path) => ConnectAs(Create(SockNonblock), path);

    /// <summary>Accepts one pending connection as a non-blocking socket, or returns null when none
    /// is pending (EAGAIN; the listener must be non-blocking, see
    /// <see cref="FileDescriptor.SetNonBlocking"/>). A connection that went away before it was
    /// taken (ECONNABORTED) is skipped. Other failures (EMFILE, ENFILE, ENOMEM) throw
    /// <see cref="ErrnoException"/>.</summary>
    public UnixSocket? TryAccept()
    {
        while (true)
        {
            SafeFd fd = Interop.Sys.Accept4(Handle, 0, 0, SockCloexec | SockNonblock);
            if (!fd.IsInvalid)
            {
                return new UnixSocket(fd);
            }
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            if (errno == Errno.EAGAIN)
            {
                return null;
            }
            if (errno is not (Errno.EINTR or Errno.ECONNABORTED))
            {
                throw new ErrnoException(errno, "accept4");
            }
        }
    }

    /// <summary>One recv(2) with MSG_DONTWAIT: the bytes read, 0 at end of stream (the peer shut
    /// its writing side), or null when nothing is there yet. Throws <see cref="ErrnoException"/>
    /// for a failure (ECONNRESET).</summary>
    public unsafe int? TryReceive(Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                // Safe: the kernel writes at most buffer.Length bytes into the pinned buffer.
                nint n = Interop.Sys.Recv(Handle, bytes, (nuint)buffer.Length, MsgDontWait);
                if (n >= 0)
                {
                    return (int)n;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EAGAIN)
                {
                    return null;
                }
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, "recv");
                }
            }
        }
    }

    /// <summary>One send(2) with MSG_DONTWAIT and MSG_NOSIGNAL: how many leading bytes of
    /// <paramref name="data"/> the kernel took (possibly fewer than all), or null when it takes
    /// none now. Throws <see cref="ErrnoException"/> when the peer no longer reads (EPIPE,
    /// ECONNRESET), never raising SIGPIPE.</summary>
    public unsafe int? TrySend(ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            while (true)
            {
                // Safe: the kernel reads at most data.Length bytes from the pinned span.
                nint n = Interop.Sys.Send(Handle, bytes, (nuint)data.Length, MsgDontWait | MsgNoSignal);
                if (n >= 0)
                {
                    return (int)n;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EAGAIN)
                {
                    return null;
                }
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, "send");
                }
            }
        }
    }
}
