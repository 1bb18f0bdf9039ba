using System.Runtime.InteropServices;
using System.Text;

namespace Vireo.Sys;

/// <summary>An AF_UNIX stream socket that carries file descriptors (SCM_RIGHTS) with its data.</summary>
public sealed partial class UnixSocket : IDisposable
{
    // <bits/socket.h>, <sys/un.h>
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCtrunc = 0x8;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int ShutWr = 1;
    private const int ShutRdWr = 2;
    private const int SockAddrUnSize = 110;
    private const int SunPathOffset = 2;
    private const int CmsgHeaderSize = 16;

    /// <summary>The most descriptors one message may carry (the kernel's SCM_MAX_FD is 253).</summary>
    public const int MaxFdsPerMessage = 253;

    private UnixSocket(SafeFd fd)
    {
        Handle = fd;
    }

    /// <summary>The owned socket descriptor.</summary>
    public SafeFd Handle { get; }

    /// <summary>
    /// Takes ownership of a connected AF_UNIX stream socket <paramref name="fd"/> (e.g. one passed
    /// by a parent process).
    /// </summary>
    public static UnixSocket FromHandle(SafeFd fd) => new(fd);

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM): two connected ends, for in-process peers and
    /// for handing one end to a child process.</summary>
    public static unsafe (UnixSocket First, UnixSocket Second) CreatePair()
    {
        int* fds = stackalloc int[2];
        // Safe: the kernel writes exactly two ints.
        if (Interop.Sys.SocketPair(AfUnix, SockStream | SockCloexec, 0, fds) != 0)
        {
            throw ErrnoException.FromLastError("socketpair");
        }
        return (new UnixSocket(SafeFd.FromOwned(fds[0])), new UnixSocket(SafeFd.FromOwned(fds[1])));
    }

    /// <summary>SOMAXCONN since Linux 5.4; the kernel clamps a larger backlog to
    /// net.core.somaxconn, so this asks for "as many as the system allows".</summary>
    public const int MaxBacklog = 4096;

    // Serialises the process-wide umask change around bind.
    private static readonly Lock s_umaskLock = new();

    /// <summary>Binds <paramref name="path"/> (which must not exist) and listens. With
    /// <paramref name="access"/>, the socket file is created with that mode from the start (the
    /// umask is narrowed around bind, so no other user can connect between bind and chmod), then
    /// set to it exactly and given the owner/group asked for; any failure removes the file and
    /// throws.</summary>
    public static unsafe UnixSocket Listen(string path, int backlog = MaxBacklog, SocketFileAccess? access = null)
    {
        UnixSocket socket = Create();
        bool bound = false;
        try
        {
            byte* address = stackalloc byte[SockAddrUnSize];
            uint length = FillAddress(address, path);
            int result;
            int errno;
            lock (s_umaskLock)
            {
                // umask is per process: for this instant other threads' new files are at most as
                // open as the socket, which errs on the safe side.
                uint previous = access is null ? 0 : Interop.Sys.Umask(~(uint)access.Mode & 0x1ff);
                // Safe: address is a full sockaddr_un and length covers only the bytes filled.
                result = Interop.Sys.Bind(socket.Handle, address, length);
                errno = Marshal.GetLastPInvokeError();
                if (access is not null)
                {
                    Interop.Sys.Umask(previous);
                }
            }
            if (result != 0)
            {
                throw new ErrnoException(errno, $"bind {path}");
            }
            bound = true;
            if (access is not null)
            {
                ApplyAccess(path, access);
            }
            if (Interop.Sys.Listen(socket.Handle, backlog) != 0)
            {
                throw ErrnoException.FromLastError($"listen {path}");
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            if (bound)
            {
                File.Delete(path);
            }
            throw;
        }
    }

    private static void ApplyAccess(string path, SocketFileAccess access)
    {
        uint? owner = access.OwnerId;
        uint? group = access.GroupId;
        if ((owner is not null || group is not null) && Interop.Sys.Chown(path, owner ?? uint.MaxValue, group ?? uint.MaxValue) != 0)
        {
            throw ErrnoException.FromLastError($"chown {path}");
        }
        File.SetUnixFileMode(path, access.Mode);
        UnixFileMode actual = File.GetUnixFileMode(path);
        if (actual != access.Mode)
        {
            throw new IOException($"socket {path} has mode {Convert.ToString((int)actual, 8)}, not {Convert.ToString((int)access.Mode, 8)}");
        }
    }

    /// <summary>
    /// Connects to the listening socket at <paramref name="path"/>; throws <see
    /// cref="ErrnoException"/> (ENOENT, ECONNREFUSED, EACCES) when it cannot.
    /// </summary>
    public static UnixSocket Connect(string path) => ConnectAs(Create(), path);

    // Connects a socket made for it (blocking or not) and hands it over, or disposes it and throws.
    private static unsafe UnixSocket ConnectAs(UnixSocket socket, string path)
    {
        try
        {
            byte* address = stackalloc byte[SockAddrUnSize];
            uint length = FillAddress(address, path);
            while (true)
            {
                // Safe: as in Listen.
                if (Interop.Sys.Connect(socket.Handle, address, length) == 0)
                {
                    return socket;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, $"connect {path}");
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one connection; blocks until a peer connects or the socket is shut down.</summary>
    public UnixSocket Accept()
    {
        while (true)
        {
            SafeFd fd = Interop.Sys.Accept4(Handle, 0, 0, SockCloexec);
            if (!fd.IsInvalid)
            {
                return new UnixSocket(fd);
            }
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            if (errno != Errno.EINTR)
            {
                throw new ErrnoException(errno, "accept4");
            }
        }
    }

    /// <summary>Sends all of <paramref name="data"/>; <paramref name="fds"/> ride on the first
    /// sendmsg so they arrive with the first byte.</summary>
    public void Send(ReadOnlySpan<byte> data, ReadOnlySpan<SafeFd> fds = default) => Send(data, default, fds);

    /// <summary>Sends <paramref name="head"/> then <paramref name="body"/> as one stream of bytes
    /// (sendmsg with a two-entry iovec), so a message header and its bulk data leave from where
    /// they are, without being copied together first; <paramref name="fds"/> ride on the first
    /// sendmsg so they arrive with the first byte.</summary>
    public unsafe void Send(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, ReadOnlySpan<SafeFd> fds = default)
    {
        if (fds.Length > MaxFdsPerMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, "too many descriptors for one message");
        }
        int controlLength = fds.IsEmpty ? 0 : CmsgSpace(fds.Length * sizeof(int));
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        // On the stack: a vfio-user region write sends no fds and must not allocate.
        Span<bool> added = stackalloc bool[fds.Length];
        try
        {
            if (controlLength > 0)
            {
                new Span<byte>(control, controlLength).Clear();
                var header = (Interop.Sys.CmsgHdr*)control;
                header->Length = (nuint)(CmsgHeaderSize + fds.Length * sizeof(int));
                header->Level = SolSocket;
                header->Type = ScmRights;
                int* slots = (int*)(control + CmsgHeaderSize);
                for (int i = 0; i < fds.Length; i++)
                {
                    fds[i].DangerousAddRef(ref added[i]);
                    slots[i] = fds[i].DangerousGetFd();
                }
            }
            long total = (long)head.Length + body.Length;
            long sent = 0;
            Interop.Sys.IoVec* iov = stackalloc Interop.Sys.IoVec[2];
            fixed (byte* headBytes = head)
            fixed (byte* bodyBytes = body)
            {
                do
                {
                    // What is left: the rest of head (if any) and the rest of body.
                    int count = 0;
                    if (sent < head.Length)
                    {
                        iov[count++] = new Interop.Sys.IoVec { Base = headBytes + sent, Length = (nuint)(head.Length - sent) };
                    }
                    long bodySent = Math.Max(sent - head.Length, 0);
                    if (bodySent < body.Length)
                    {
                        iov[count++] = new Interop.Sys.IoVec { Base = bodyBytes + bodySent, Length = (nuint)(body.Length - bodySent) };
                    }
                    var message = new Interop.Sys.MsgHdr
                    {
                        Iov = iov,
                        IovLength = (nuint)count,
                        Control = sent == 0 && controlLength > 0 ? control : null,
                        ControlLength = sent == 0 ? (nuint)controlLength : 0,
                    };
                    // Safe: each iov entry points into a pinned span within its length, control
                    // into the stack buffer of controlLength bytes; the fds stay referenced until
                    // the call returns.
                    nint n = Interop.Sys.SendMsg(Handle, &message, MsgNoSignal);
                    if (n < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == Errno.EINTR)
                        {
                            continue;
                        }
                        throw new ErrnoException(errno, "sendmsg");
                    }
                    sent += n;
                }
                while (sent < total);
            }
        }
        finally
        {
            for (int i = 0; i < fds.Length; i++)
            {
                if (added[i])
                {
                    fds[i].DangerousRelease();
                }
            }
        }
    }

    /// <summary>One recvmsg: returns the bytes read (0 at end of stream) and appends received
    /// descriptors to <paramref name="fds"/>. <paramref name="controlTruncated"/> is set when the
    /// peer sent more than <paramref name="maxFds"/> descriptors (the kernel closed the excess).</summary>
    public unsafe int Receive(Span<byte> buffer, List<SafeFd>? fds, int maxFds, out bool controlTruncated)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFds);
        maxFds = Math.Min(maxFds, MaxFdsPerMessage);
        int controlLength = maxFds == 0 || fds is null ? 0 : CmsgSpace(maxFds * sizeof(int));
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var iov = new Interop.Sys.IoVec { Base = bytes, Length = (nuint)buffer.Length };
                var message = new Interop.Sys.MsgHdr
                {
                    Iov = &iov,
                    IovLength = 1,
                    Control = controlLength > 0 ? control : null,
                    ControlLength = (nuint)controlLength,
                };
                // Safe: iov covers the pinned buffer, control the stack buffer of controlLength bytes.
                nint n = Interop.Sys.RecvMsg(Handle, &message, MsgCmsgCloexec);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException(errno, "recvmsg");
                }
                controlTruncated = (message.Flags & MsgCtrunc) != 0;
                if (controlLength > 0)
                {
                    CollectFds(control, (int)message.ControlLength, fds!);
                }
                return (int)n;
            }
        }
    }

    /// <summary>The connected peer's process, user and group (SO_PEERCRED).</summary>
    public unsafe PeerCredentials GetPeerCredentials()
    {
        Interop.Sys.UCred credentials;
        uint length = (uint)sizeof(Interop.Sys.UCred);
        // Safe: the kernel writes at most length bytes into the local struct.
        if (Interop.Sys.GetSockOpt(Handle, Interop.Sys.SolSocket, Interop.Sys.SoPeerCred, &credentials, &length) != 0)
        {
            throw ErrnoException.FromLastError("getsockopt SO_PEERCRED");
        }
        return new PeerCredentials(credentials.Pid, credentials.Uid, credentials.Gid);
    }

    /// <summary>Shuts both directions: a thread blocked in Receive or Accept returns.</summary>
    public void Shutdown() => ShutdownIfOpen(ShutRdWr);

    /// <summary>Half-close: the peer reads end of stream after the data already sent, and can
    /// still send back (a peer that has said everything but still reads the answers).</summary>
    public void ShutdownWrite() => ShutdownIfOpen(ShutWr);

    private void ShutdownIfOpen(int how)
    {
        try
        {
            _ = Interop.Sys.Shutdown(Handle, how);
        }
        catch (ObjectDisposedException)
        {
            // Shutdown is how other threads wake a reader (cancellation callbacks, Dispose of a
            // client), so it races with that reader closing the socket as it finishes; an
            // IsClosed check first only narrows the window. A closed socket has no one to wake.
        }
    }

    /// <summary>Closes the socket; a blocked peer sees end of stream.</summary>
    public void Dispose() => Handle.Dispose();

    private static unsafe void CollectFds(byte* control, int length, List<SafeFd> fds)
    {
        int offset = 0;
        while (offset + CmsgHeaderSize <= length)
        {
            // Safe: the header lies within the length the kernel reported.
            var header = (Interop.Sys.CmsgHdr*)(control + offset);
            int cmsgLength = (int)header->Length;
            if (cmsgLength < CmsgHeaderSize || offset + cmsgLength > length)
            {
                break;
            }
            if (header->Level == SolSocket && header->Type == ScmRights)
            {
                int count = (cmsgLength - CmsgHeaderSize) / sizeof(int);
                int* slots = (int*)(control + offset + CmsgHeaderSize);
                for (int i = 0; i < count; i++)
                {
                    fds.Add(SafeFd.FromOwned(slots[i]));
                }
            }
            offset += Align(cmsgLength);
        }
    }

    private static UnixSocket Create(int flags = 0)
    {
        SafeFd fd = Interop.Sys.Socket(AfUnix, SockStream | SockCloexec | flags, 0);
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw ErrnoException.FromLastError("socket AF_UNIX");
        }
        return new UnixSocket(fd);
    }

    private static unsafe uint FillAddress(byte* address, string path)
    {
        int pathBytes = Encoding.UTF8.GetByteCount(path);
        if (pathBytes == 0 || pathBytes >= SockAddrUnSize - SunPathOffset)
        {
            throw new ArgumentException($"socket path must be 1 to {SockAddrUnSize - SunPathOffset - 1} bytes", nameof(path));
        }
        var span = new Span<byte>(address, SockAddrUnSize);
        span.Clear();
        span[0] = AfUnix;
        Encoding.UTF8.GetBytes(path, span[SunPathOffset..]);
        return (uint)(SunPathOffset + pathBytes + 1);
    }

    // CMSG_ALIGN / CMSG_SPACE from <bits/socket.h> (LP64: 8-byte alignment).
    private static int Align(int length) => (length + 7) & ~7;

    private static int CmsgSpace(int dataLength) => CmsgHeaderSize + Align(dataLength);
}
