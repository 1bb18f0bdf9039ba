using System.Runtime.InteropServices;
using System.Text;

namespace Vireo.Sys;

/// <summary>
/// A Linux tap interface (Documentation/networking/tuntap.rst): an Ethernet device on the host
/// whose frames this process reads and writes through a descriptor on /dev/net/tun. It is made with
/// IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, so every frame is preceded by a 12-byte
/// <c>virtio_net_hdr_v1</c> (TUNSETVNETHDRSZ) that carries checksum and segmentation offload
/// details both ways, and the descriptor is non-blocking: epoll tells when a frame waits.
/// </summary>
/// <remarks>The interface lives as long as the descriptor (it is not made persistent): disposing
/// the device removes it from the host. Reads and writes are one frame each and copy nothing in
/// between: the header and the frame are separate iovecs of one readv/writev.</remarks>
public sealed class TapDevice : IDisposable
{
    /// <summary>The clone device every tun/tap interface is opened through.</summary>
    public const string ClonePath = "/dev/net/tun";

    /// <summary>The header before each frame: <c>sizeof(struct virtio_net_hdr_v1)</c>, the header
    /// of virtio 1.x (§5.1.6), num_buffers included.</summary>
    public const int VnetHeaderSize = 12;

    /// <summary>The longest interface name (IFNAMSIZ less the terminating NUL).</summary>
    public const int MaxNameLength = Interop.Sys.InterfaceNameSize - 1;

    // linux/if_tun.h: TUNSETIFF flags.
    internal const short IffTap = 0x0002;
    internal const short IffNoPi = 0x1000;
    internal const short IffVnetHdr = 0x4000;

    // linux/if_tun.h: _IOW('T', 202, int), _IOW('T', 208, unsigned int), _IOW('T', 216, int).
    internal static readonly nuint TunSetIff = IoctlNumber.Iow('T', 202, sizeof(int));
    internal static readonly nuint TunSetOffload = IoctlNumber.Iow('T', 208, sizeof(uint));
    internal static readonly nuint TunSetVnetHdrSz = IoctlNumber.Iow('T', 216, sizeof(int));

    private TapDevice(SafeFd handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    /// <summary>The tap's descriptor, non-blocking: readable while a frame waits, for epoll.</summary>
    public SafeFd Handle { get; }

    /// <summary>The interface's name on the host, as the kernel chose it when none was asked for (tapN).</summary>
    public string Name { get; }

    /// <summary>The offloads the kernel accepted last (<see cref="SetOffloads"/>); none at first.</summary>
    public TunOffloads Offloads { get; private set; }

    /// <summary>Creates a tap interface named <paramref name="name"/>, or one the kernel names when
    /// it is null or empty, with virtio-net headers of <see cref="VnetHeaderSize"/> bytes and no
    /// offloads. The interface starts down and without an address (<see cref="NetInterface"/>).</summary>
    /// <param name="name">The interface name, at most <see cref="MaxNameLength"/> bytes of ASCII
    /// without '/', ':' or white space; null or empty lets the kernel pick tapN.</param>
    /// <exception cref="ArgumentException">The name is not a valid interface name.</exception>
    /// <exception cref="ErrnoException">/dev/net/tun is missing (ENOENT), the process lacks
    /// CAP_NET_ADMIN (EPERM), or the name belongs to another kind of interface (EINVAL) or to a tap
    /// in use (EBUSY).</exception>
    public static TapDevice Create(string? name = null)
    {
        var request = new Interop.Sys.IfReq { Flags = IffTap | IffNoPi | IffVnetHdr };
        if (!string.IsNullOrEmpty(name))
        {
            WriteName(ref request, name);
        }
        SafeFd fd = SafeFd.Open(ClonePath, OpenFlags.ReadWrite | OpenFlags.NonBlocking);
        try
        {
            Ioctl.Invoke(fd, TunSetIff, ref request, $"TUNSETIFF {(string.IsNullOrEmpty(name) ? "tap%d" : name)}");
            int headerSize = VnetHeaderSize;
            Ioctl.Invoke(fd, TunSetVnetHdrSz, ref headerSize, "TUNSETVNETHDRSZ");
            var tap = new TapDevice(fd, ReadName(in request));
            tap.SetOffloads(TunOffloads.None);
            return tap;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Tells the kernel which offloads the reader takes (TUNSETOFFLOAD), trying
    /// <paramref name="wanted"/> and then smaller sets when the kernel refuses it (EINVAL: an old
    /// kernel without UFO, or TSO without the checksum it needs): without UFO, without ECN, the
    /// checksum alone, none.</summary>
    /// <param name="wanted">The offloads the reader can take.</param>
    /// <returns>The set the kernel accepted, a subset of <paramref name="wanted"/>; also <see cref="Offloads"/>.</returns>
    /// <exception cref="ErrnoException">The kernel refused even no offloads, or failed otherwise.</exception>
    public TunOffloads SetOffloads(TunOffloads wanted)
    {
        TunOffloads[] attempts =
        [
            wanted,
            wanted & ~TunOffloads.Ufo,
            wanted & ~(TunOffloads.Ufo | TunOffloads.TsoEcn),
            wanted & TunOffloads.Checksum,
            TunOffloads.None,
        ];
        TunOffloads previous = (TunOffloads)uint.MaxValue;
        foreach (TunOffloads attempt in attempts)
        {
            if (attempt == previous)
            {
                continue;
            }
            previous = attempt;
            int result = Ioctl.TryInvoke(Handle, TunSetOffload, (nint)(uint)attempt);
            if (result >= 0)
            {
                Offloads = attempt;
                return attempt;
            }
            if (-result != Errno.EINVAL || attempt == TunOffloads.None)
            {
                throw new ErrnoException(-result, $"TUNSETOFFLOAD {Name} 0x{(uint)attempt:x}");
            }
        }
        throw new InvalidOperationException("unreachable: the last attempt, no offloads, returns or throws");
    }

    /// <summary>Reads the next frame: its header into <paramref name="header"/> and the frame into
    /// <paramref name="frame"/>, in one readv. Never blocks.</summary>
    /// <param name="header">Exactly <see cref="VnetHeaderSize"/> bytes.</param>
    /// <param name="frame">Room for the frame: 65550 bytes hold the largest the kernel hands a
    /// reader with TSO, the MTU plus 14 (plus 4 for a VLAN tag) one without offloads.</param>
    /// <returns>The frame's length without the header, or -1 when no frame waits. A length above
    /// <paramref name="frame"/>.Length means the frame did not fit and was cut: it is lost.</returns>
    /// <exception cref="ErrnoException">The read failed otherwise (EBADFD: the interface is gone).</exception>
    public unsafe int Read(Span<byte> header, Span<byte> frame)
    {
        CheckHeader(header.Length);
        // Safe: both spans are pinned for the call and each iovec is given its span's length.
        fixed (byte* h = header)
        fixed (byte* f = frame)
        {
            Interop.Sys.IoVec* iov = stackalloc Interop.Sys.IoVec[2];
            iov[0] = new Interop.Sys.IoVec { Base = h, Length = (nuint)header.Length };
            iov[1] = new Interop.Sys.IoVec { Base = f, Length = (nuint)frame.Length };
            while (true)
            {
                nint n = Interop.Sys.Readv(Handle, iov, 2);
                if (n >= 0)
                {
                    return n < VnetHeaderSize
                        ? throw new ErrnoException(Errno.EIO, $"readv {Name} (a {n}-byte read is shorter than the virtio-net header)")
                        : (int)(n - VnetHeaderSize);
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EAGAIN)
                {
                    return -1;
                }
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, $"readv {Name}");
                }
            }
        }
    }

    /// <summary>Writes one frame with its header in one writev. Never blocks.</summary>
    /// <param name="header">Exactly <see cref="VnetHeaderSize"/> bytes; the kernel checks the
    /// offload fields against the frame.</param>
    /// <param name="frame">The Ethernet frame.</param>
    /// <returns>True when the kernel took the frame; false when it refused this frame (EINVAL: an
    /// inconsistent header or a frame too short or long; EAGAIN; EIO), which is then lost.</returns>
    /// <exception cref="ErrnoException">The write failed otherwise (EBADFD: the interface is gone).</exception>
    public unsafe bool Write(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        // Safe: the frame is pinned for the call.
        fixed (byte* f = frame)
        {
            return Write(header, [new IoSegment((nint)f, frame.Length)]);
        }
    }

    /// <summary>Writes one frame, gathered from <paramref name="frame"/>'s segments (a guest's
    /// transmit buffers, in place), with its header in one writev. Never blocks.</summary>
    /// <param name="header">Exactly <see cref="VnetHeaderSize"/> bytes.</param>
    /// <param name="frame">The Ethernet frame's pieces, in order, in native memory mapped for the
    /// call; at most <see cref="MaxFrameSegments"/>.</param>
    /// <returns>As <see cref="Write(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</returns>
    /// <exception cref="ErrnoException">As <see cref="Write(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</exception>
    public unsafe bool Write(ReadOnlySpan<byte> header, ReadOnlySpan<IoSegment> frame)
    {
        CheckHeader(header.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frame.Length, MaxFrameSegments, nameof(frame));
        long total = header.Length;
        // Safe: the header is pinned for the call, each iovec is given its segment's length, and
        // the kernel only reads through them.
        fixed (byte* h = header)
        {
            Interop.Sys.IoVec* iov = stackalloc Interop.Sys.IoVec[frame.Length + 1];
            iov[0] = new Interop.Sys.IoVec { Base = h, Length = (nuint)header.Length };
            for (int i = 0; i < frame.Length; i++)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(frame[i].Length, nameof(frame));
                iov[i + 1] = new Interop.Sys.IoVec { Base = (byte*)frame[i].Address, Length = (nuint)frame[i].Length };
                total += frame[i].Length;
            }
            while (true)
            {
                nint n = Interop.Sys.Writev(Handle, iov, frame.Length + 1);
                if (n >= 0)
                {
                    // A tap takes a frame whole or not at all.
                    return n == total;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.EAGAIN or Errno.EINVAL or Errno.EIO)
                {
                    return false;
                }
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, $"writev {Name}");
                }
            }
        }
    }

    /// <summary>The most pieces <see cref="Write(ReadOnlySpan{byte}, ReadOnlySpan{IoSegment})"/>
    /// takes for one frame (with the header, within IOV_MAX).</summary>
    public const int MaxFrameSegments = 1023;

    /// <summary>Closes the descriptor, which removes the interface from the host.</summary>
    public void Dispose() => Handle.Dispose();

    internal static void WriteName(ref Interop.Sys.IfReq request, string name)
    {
        if (name.Length > MaxNameLength || name.Any(c => c > 0x7e || c <= 0x20 || c is '/' or ':') || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not an interface name: at most {MaxNameLength} printable ASCII characters without '/', ':' or spaces", nameof(name));
        }
        Span<byte> bytes = request.Name;
        bytes.Clear();
        Encoding.ASCII.GetBytes(name, bytes);
    }

    internal static string ReadName(in Interop.Sys.IfReq request)
    {
        ReadOnlySpan<byte> bytes = request.Name;
        int end = bytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static void CheckHeader(int length)
    {
        if (length != VnetHeaderSize)
        {
            throw new ArgumentException($"the virtio-net header is {VnetHeaderSize} bytes, not {length}", "header");
        }
    }
}
