using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>What one io_uring operation came to: the <see cref="UserData"/> it was prepared with
/// and its <see cref="Result"/>, the syscall's return value (bytes moved) or a negated errno.</summary>
/// <param name="UserData">The caller's tag for the operation.</param>
/// <param name="Result">Bytes transferred, 0 for fsync, or -errno.</param>
public readonly record struct IoCompletion(ulong UserData, int Result);

/// <summary>
/// An io_uring instance (io_uring_setup(2)) for vectored file reads and writes: operations are
/// prepared into the mapped submission ring, handed to the kernel in one io_uring_enter(2) per
/// batch, and their results taken from the completion ring without a syscall. <see cref="Handle"/>
/// is readable (epoll) while completions wait, so a thread that already sleeps in epoll learns of
/// them with no thread of its own.
/// </summary>
/// <remarks>Not thread-safe: one thread prepares, submits and reaps. The caller keeps no more
/// operations in flight than <see cref="Entries"/>, so the completion ring (twice as large) cannot
/// overflow, and keeps the files and buffers of operations in flight alive. A segment list is
/// copied into the instance's own iovec table when prepared, and the kernel reads it when
/// submitted (IORING_FEAT_SUBMIT_STABLE, which <see cref="Create"/> requires), so the caller's
/// list may go as soon as <see cref="TryPrepareVectored"/> returns.</remarks>
public sealed unsafe class IoUring : IDisposable
{
    /// <summary>IORING_OP_READV.</summary>
    public const byte OpReadv = 1;
    /// <summary>IORING_OP_WRITEV.</summary>
    public const byte OpWritev = 2;
    /// <summary>IORING_OP_FSYNC.</summary>
    public const byte OpFsync = 3;
    /// <summary>IORING_FSYNC_DATASYNC: the fsync is an fdatasync.</summary>
    public const uint FsyncDataSync = 1;
    /// <summary>IORING_FEAT_SINGLE_MMAP: one mapping holds both rings (Linux 5.4).</summary>
    public const uint FeatureSingleMmap = 1;
    /// <summary>IORING_FEAT_SUBMIT_STABLE: what a submission points to is read by the time io_uring_enter returns (Linux 5.5).</summary>
    public const uint FeatureSubmitStable = 1 << 2;
    /// <summary>IORING_ENTER_GETEVENTS: io_uring_enter waits for min_complete completions.</summary>
    public const uint EnterGetEvents = 1;
    /// <summary>IORING_OFF_SQ_RING: the mmap offset of the submission ring.</summary>
    public const long OffsetSqRing = 0;
    /// <summary>IORING_OFF_CQ_RING: the mmap offset of the completion ring.</summary>
    public const long OffsetCqRing = 0x8000000;
    /// <summary>IORING_OFF_SQES: the mmap offset of the submission entries.</summary>
    public const long OffsetSqes = 0x10000000;
    /// <summary>IORING_OP_NOP.</summary>
    public const byte OpNop = 0;
    /// <summary>IORING_SETUP_R_DISABLED: the ring starts disabled, so restrictions can be registered (Linux 5.10).</summary>
    public const uint SetupRDisabled = 1 << 6;
    /// <summary>IOSQE_FIXED_FILE: the submission's fd is an index into the registered files.</summary>
    public const byte SqeFixedFile = 1;
    /// <summary>IORING_REGISTER_FILES.</summary>
    public const uint RegisterFiles = 2;
    /// <summary>IORING_REGISTER_RESTRICTIONS.</summary>
    public const uint RegisterRestrictions = 11;
    /// <summary>IORING_REGISTER_ENABLE_RINGS.</summary>
    public const uint RegisterEnableRings = 12;
    /// <summary>IORING_RESTRICTION_SQE_OP: an allowed submission opcode.</summary>
    public const ushort RestrictionSqeOp = 1;
    /// <summary>IORING_RESTRICTION_SQE_FLAGS_ALLOWED: submission flags that may be set.</summary>
    public const ushort RestrictionSqeFlagsAllowed = 2;
    /// <summary>IORING_RESTRICTION_SQE_FLAGS_REQUIRED: submission flags that must be set.</summary>
    public const ushort RestrictionSqeFlagsRequired = 3;

    private readonly SafeFd _fd;
    private readonly MappedMemory _rings;
    private readonly MappedMemory? _cqRing;
    private readonly MappedMemory _sqes;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Interop.Sys.IoUringCqe* _cqes;
    private readonly Interop.Sys.IoUringSqe* _sqeArray;
    private readonly Interop.Sys.IoVec* _iovecs;
    private readonly int _maxSegments;
    // The one file a confined ring may touch (registered as fixed file 0), or null.
    private readonly SafeHandle? _onlyFile;
    // The submission tail as this side knows it; published to the ring when submitted.
    private uint _tail;
    private bool _disposed;

    private IoUring(SafeFd fd, in Interop.Sys.IoUringParams p, int maxSegments, SafeHandle? onlyFile)
    {
        _fd = fd;
        _maxSegments = maxSegments;
        _onlyFile = onlyFile;
        Entries = p.SqEntries;
        ulong sqSize = p.SqOff.Array + p.SqEntries * sizeof(uint);
        ulong cqSize = p.CqOff.Cqes + p.CqEntries * (ulong)sizeof(Interop.Sys.IoUringCqe);
        bool single = (p.Features & FeatureSingleMmap) != 0;
        try
        {
            _rings = MappedMemory.MapShared(fd, single ? Math.Max(sqSize, cqSize) : sqSize, OffsetSqRing, "mmap io_uring submission ring");
            _cqRing = single ? null : MappedMemory.MapShared(fd, cqSize, OffsetCqRing, "mmap io_uring completion ring");
            _sqes = MappedMemory.MapShared(fd, p.SqEntries * (ulong)sizeof(Interop.Sys.IoUringSqe), OffsetSqes, "mmap io_uring submission entries");
        }
        catch
        {
            _cqRing?.Dispose();
            _rings?.Dispose();
            throw;
        }
        byte* sq = (byte*)_rings.DangerousGetAddress();
        byte* cq = (byte*)(_cqRing ?? _rings).DangerousGetAddress();
        _sqHead = (uint*)(sq + p.SqOff.Head);
        _sqTail = (uint*)(sq + p.SqOff.Tail);
        _sqMask = *(uint*)(sq + p.SqOff.RingMask);
        _cqHead = (uint*)(cq + p.CqOff.Head);
        _cqTail = (uint*)(cq + p.CqOff.Tail);
        _cqMask = *(uint*)(cq + p.CqOff.RingMask);
        _cqes = (Interop.Sys.IoUringCqe*)(cq + p.CqOff.Cqes);
        _sqeArray = (Interop.Sys.IoUringSqe*)_sqes.DangerousGetAddress();
        // Submission entry i always sits at ring slot i: the indirection array is filled once.
        uint* array = (uint*)(sq + p.SqOff.Array);
        for (uint i = 0; i < p.SqEntries; i++)
        {
            array[i] = i;
        }
        _tail = *_sqTail;
        _iovecs = (Interop.Sys.IoVec*)NativeMemory.AllocZeroed((nuint)(p.SqEntries * (ulong)maxSegments), (nuint)sizeof(Interop.Sys.IoVec));
    }

    /// <summary>The submission ring's size: the most operations prepared or in flight at once.</summary>
    public uint Entries { get; }

    /// <summary>The ring's descriptor: readable while completions wait to be reaped.</summary>
    public SafeFd Handle => _fd;

    /// <summary>Operations prepared and not yet taken by the kernel.</summary>
    public int Pending => (int)(_tail - Volatile.Read(ref *_sqHead));

    /// <summary>Sets up a ring of <paramref name="entries"/> submissions whose vectored operations
    /// take up to <paramref name="maxSegments"/> segments each.</summary>
    /// <param name="entries">A power of two from 1 to 4096.</param>
    /// <param name="maxSegments">The longest segment list <see cref="TryPrepareVectored"/> takes, 1 to 1024 (UIO_MAXIOV).</param>
    /// <param name="onlyFile">When given, the ring is confined to it (IORING_REGISTER_RESTRICTIONS,
    /// Linux 5.10): it is the ring's one registered file, every submission must name it as a fixed
    /// file, and only readv, writev and fsync may be submitted. io_uring's work is done by kernel threads
    /// that no seccomp filter sees, so a ring that could open, connect or read any descriptor would
    /// undo a thread's confinement; this one can only move the bytes of that file. The kernel
    /// completes anything else with -EACCES. It must outlive the ring.</param>
    /// <exception cref="ErrnoException">The kernel refused: ENOSYS (too old or built without
    /// io_uring), EPERM (kernel.io_uring_disabled or a seccomp filter), ENOMEM (locked-memory
    /// limit), EINVAL (restrictions asked of a kernel older than 5.10).</exception>
    /// <exception cref="NotSupportedException">The kernel's io_uring lacks IORING_FEAT_SUBMIT_STABLE (older than 5.5).</exception>
    public static IoUring Create(uint entries, int maxSegments, SafeHandle? onlyFile = null)
    {
        if (!uint.IsPow2(entries) || entries > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), entries, "a power of two from 1 to 4096");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSegments, 1024);
        Interop.Sys.IoUringParams p = default;
        p.Flags = onlyFile is null ? 0 : SetupRDisabled;
        long fd = Interop.Sys.SyscallIoUringSetup(Interop.Sys.SysIoUringSetup, entries, &p);
        if (fd < 0)
        {
            throw ErrnoException.FromLastError("io_uring_setup");
        }
        SafeFd handle = SafeFd.FromOwned((int)fd);
        if ((p.Features & FeatureSubmitStable) == 0)
        {
            handle.Dispose();
            throw new NotSupportedException("this kernel's io_uring lacks IORING_FEAT_SUBMIT_STABLE (Linux 5.5 or later is needed)");
        }
        try
        {
            if (onlyFile is not null)
            {
                Confine(handle, onlyFile);
            }
            return new IoUring(handle, p, maxSegments, onlyFile);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // Registers the file as fixed file 0, allows readv, writev and fsync on fixed files only, and enables
    // the ring; no register operation is allowed afterwards (none is listed).
    private static void Confine(SafeFd ring, SafeHandle file)
    {
        int ringFd = ring.DangerousGetFd();
        int fileFd = (int)file.DangerousGetHandle();
        Register(ringFd, RegisterFiles, &fileFd, 1, "io_uring_register(IORING_REGISTER_FILES)");
        Interop.Sys.IoUringRestriction* restrictions = stackalloc Interop.Sys.IoUringRestriction[5];
        restrictions[0] = new Interop.Sys.IoUringRestriction { Opcode = RestrictionSqeOp, Value = OpReadv };
        restrictions[1] = new Interop.Sys.IoUringRestriction { Opcode = RestrictionSqeOp, Value = OpWritev };
        restrictions[2] = new Interop.Sys.IoUringRestriction { Opcode = RestrictionSqeOp, Value = OpFsync };
        restrictions[3] = new Interop.Sys.IoUringRestriction { Opcode = RestrictionSqeFlagsAllowed, Value = SqeFixedFile };
        restrictions[4] = new Interop.Sys.IoUringRestriction { Opcode = RestrictionSqeFlagsRequired, Value = SqeFixedFile };
        Register(ringFd, RegisterRestrictions, restrictions, 5, "io_uring_register(IORING_REGISTER_RESTRICTIONS)");
        Register(ringFd, RegisterEnableRings, null, 0, "io_uring_register(IORING_REGISTER_ENABLE_RINGS)");
    }

    private static void Register(int ring, uint opcode, void* argument, uint count, string what)
    {
        if (Interop.Sys.SyscallIoUringRegister(Interop.Sys.SysIoUringRegister, ring, opcode, argument, count) < 0)
        {
            throw ErrnoException.FromLastError(what);
        }
    }

    /// <summary>Why this host cannot set up a confined io_uring (the kernel is older than 5.10,
    /// was built without io_uring, has kernel.io_uring_disabled set, or a seccomp filter refuses
    /// it), or null when it can.</summary>
    public static string? WhyUnavailable()
    {
        try
        {
            // A ring confined to /dev/null: the restrictions are probed too.
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
            using IoUring ring = Create(1, 1, onlyFile: file);
            return null;
        }
        catch (Exception e) when (e is ErrnoException or NotSupportedException)
        {
            return $"this host cannot set up an io_uring: {e.Message}";
        }
    }

    /// <summary>Prepares a no-op (IORING_OP_NOP), as a probe: it completes with 0, or on a
    /// confined ring with -EACCES.</summary>
    /// <returns>False, and nothing prepared, when the submission ring is full.</returns>
    public bool TryPrepareNop(ulong userData)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Pending >= Entries)
        {
            return false;
        }
        _sqeArray[_tail & _sqMask] = new Interop.Sys.IoUringSqe { Opcode = OpNop, UserData = userData };
        _tail++;
        return true;
    }

    /// <summary>Prepares an fdatasync of <paramref name="file"/> (IORING_OP_FSYNC with
    /// IORING_FSYNC_DATASYNC); it goes to the kernel at the next <see cref="Submit"/>. A confined
    /// ring's file goes as its fixed file, as for <see cref="TryPrepareVectored"/>.</summary>
    /// <returns>False, and nothing prepared, when the submission ring is full.</returns>
    public bool TryPrepareDataSync(SafeHandle file, ulong userData)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(file);
        if (Pending >= Entries)
        {
            return false;
        }
        (byte flags, int fd) = Target(file);
        _sqeArray[_tail & _sqMask] = new Interop.Sys.IoUringSqe
        {
            Opcode = OpFsync,
            Flags = flags,
            Fd = fd,
            RwFlags = FsyncDataSync,
            UserData = userData,
        };
        _tail++;
        return true;
    }

    /// <summary>Prepares a preadv (or, with <paramref name="write"/>, a pwritev) of
    /// <paramref name="segments"/> at <paramref name="offset"/> of <paramref name="file"/>; it
    /// goes to the kernel at the next <see cref="Submit"/>. On a ring confined to one file, that
    /// file goes as the registered fixed file; any other is passed as it is, and the kernel refuses it (-EACCES).</summary>
    /// <returns>False, and nothing prepared, when the submission ring is full or the list is longer than the ring takes.</returns>
    public bool TryPrepareVectored(bool write, SafeHandle file, long offset, ReadOnlySpan<IoSegment> segments, ulong userData)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (segments.Length > _maxSegments || Pending >= Entries)
        {
            return false;
        }
        uint slot = _tail & _sqMask;
        Interop.Sys.IoVec* iov = _iovecs + (slot * (ulong)_maxSegments);
        for (int i = 0; i < segments.Length; i++)
        {
            iov[i] = new Interop.Sys.IoVec { Base = (byte*)segments[i].Address, Length = (nuint)segments[i].Length };
        }
        (byte flags, int fd) = Target(file);
        _sqeArray[slot] = new Interop.Sys.IoUringSqe
        {
            Opcode = write ? OpWritev : OpReadv,
            Flags = flags,
            Fd = fd,
            Off = (ulong)offset,
            Addr = (ulong)iov,
            Len = (uint)segments.Length,
            UserData = userData,
        };
        _tail++;
        return true;
    }

    // A confined ring's own file goes as fixed file 0; any other file by its descriptor (which
    // the kernel refuses on a confined ring).
    private (byte Flags, int Fd) Target(SafeHandle file)
        => _onlyFile is not null && file.DangerousGetHandle() == _onlyFile.DangerousGetHandle()
            ? (SqeFixedFile, 0)
            : ((byte)0, (int)file.DangerousGetHandle());

    /// <summary>Hands the prepared operations to the kernel, and with <paramref name="waitFor"/>
    /// waits until that many completions are ready to reap.</summary>
    /// <returns>How many operations the kernel took.</returns>
    /// <exception cref="ErrnoException">io_uring_enter failed (other than EINTR, which is retried).</exception>
    public int Submit(uint waitFor = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Release: the entries are written before the kernel can see the new tail.
        Volatile.Write(ref *_sqTail, _tail);
        uint toSubmit = (uint)Pending;
        while (true)
        {
            long n = Interop.Sys.SyscallIoUringEnter(Interop.Sys.SysIoUringEnter, _fd.DangerousGetFd(), toSubmit, waitFor, waitFor > 0 ? EnterGetEvents : 0, 0, 0);
            if (n >= 0)
            {
                return (int)n;
            }
            ErrnoException e = ErrnoException.FromLastError("io_uring_enter");
            if (e.Errno != Errno.EINTR)
            {
                throw e;
            }
        }
    }

    /// <summary>Takes the completions ready now, up to <paramref name="completions"/>' length, without a syscall.</summary>
    /// <returns>How many were taken.</returns>
    public int Reap(Span<IoCompletion> completions)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint head = *_cqHead;
        // Acquire: the entries up to the tail are complete once it is read.
        uint tail = Volatile.Read(ref *_cqTail);
        int n = 0;
        while (head != tail && n < completions.Length)
        {
            Interop.Sys.IoUringCqe cqe = _cqes[head & _cqMask];
            completions[n++] = new IoCompletion(cqe.UserData, cqe.Res);
            head++;
        }
        Volatile.Write(ref *_cqHead, head);
        return n;
    }

    /// <summary>Unmaps the rings and closes the instance; operations still in flight are
    /// cancelled by the kernel (wait for them first where their buffers matter).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _sqes.Dispose();
        _cqRing?.Dispose();
        _rings.Dispose();
        _fd.Dispose();
        NativeMemory.Free(_iovecs);
    }
}
