using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>io_uring's structs and numbers against gcc's reading of linux/io_uring.h, and the
/// ring against the running kernel: vectored reads and writes land where preadv/pwritev would put
/// them, results carry their tags and errors, a full ring refuses, and the ring's descriptor is
/// readable exactly while completions wait.</summary>
public sealed unsafe class IoUringTests : IDisposable
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<Interop.Sys.IoUringParams>("struct io_uring_params")
            .Field("sq_entries", (ref Interop.Sys.IoUringParams p) => ref p.SqEntries)
            .Field("cq_entries", (ref Interop.Sys.IoUringParams p) => ref p.CqEntries)
            .Field("flags", (ref Interop.Sys.IoUringParams p) => ref p.Flags)
            .Field("features", (ref Interop.Sys.IoUringParams p) => ref p.Features)
            .Field("wq_fd", (ref Interop.Sys.IoUringParams p) => ref p.WqFd)
            .Field("sq_off", (ref Interop.Sys.IoUringParams p) => ref p.SqOff)
            .Field("cq_off", (ref Interop.Sys.IoUringParams p) => ref p.CqOff),
        CStructLayout.Of<Interop.Sys.IoSqringOffsets>("struct io_sqring_offsets")
            .Field("head", (ref Interop.Sys.IoSqringOffsets o) => ref o.Head)
            .Field("tail", (ref Interop.Sys.IoSqringOffsets o) => ref o.Tail)
            .Field("ring_mask", (ref Interop.Sys.IoSqringOffsets o) => ref o.RingMask)
            .Field("ring_entries", (ref Interop.Sys.IoSqringOffsets o) => ref o.RingEntries)
            .Field("dropped", (ref Interop.Sys.IoSqringOffsets o) => ref o.Dropped)
            .Field("array", (ref Interop.Sys.IoSqringOffsets o) => ref o.Array),
        CStructLayout.Of<Interop.Sys.IoCqringOffsets>("struct io_cqring_offsets")
            .Field("head", (ref Interop.Sys.IoCqringOffsets o) => ref o.Head)
            .Field("tail", (ref Interop.Sys.IoCqringOffsets o) => ref o.Tail)
            .Field("ring_mask", (ref Interop.Sys.IoCqringOffsets o) => ref o.RingMask)
            .Field("overflow", (ref Interop.Sys.IoCqringOffsets o) => ref o.Overflow)
            .Field("cqes", (ref Interop.Sys.IoCqringOffsets o) => ref o.Cqes),
        CStructLayout.Of<Interop.Sys.IoUringSqe>("struct io_uring_sqe")
            .Field("opcode", (ref Interop.Sys.IoUringSqe s) => ref s.Opcode)
            .Field("flags", (ref Interop.Sys.IoUringSqe s) => ref s.Flags)
            .Field("ioprio", (ref Interop.Sys.IoUringSqe s) => ref s.Ioprio)
            .Field("fd", (ref Interop.Sys.IoUringSqe s) => ref s.Fd)
            .Field("off", (ref Interop.Sys.IoUringSqe s) => ref s.Off)
            .Field("addr", (ref Interop.Sys.IoUringSqe s) => ref s.Addr)
            .Field("len", (ref Interop.Sys.IoUringSqe s) => ref s.Len)
            .Field("rw_flags", (ref Interop.Sys.IoUringSqe s) => ref s.RwFlags)
            .Field("user_data", (ref Interop.Sys.IoUringSqe s) => ref s.UserData),
        CStructLayout.Of<Interop.Sys.IoUringRestriction>("struct io_uring_restriction")
            .Field("opcode", (ref Interop.Sys.IoUringRestriction r) => ref r.Opcode)
            .Field("sqe_op", (ref Interop.Sys.IoUringRestriction r) => ref r.Value)
            .Field("resv", (ref Interop.Sys.IoUringRestriction r) => ref r.Resv),
        CStructLayout.Of<Interop.Sys.IoUringCqe>("struct io_uring_cqe")
            .Field("user_data", (ref Interop.Sys.IoUringCqe c) => ref c.UserData)
            .Field("res", (ref Interop.Sys.IoUringCqe c) => ref c.Res)
            .Field("flags", (ref Interop.Sys.IoUringCqe c) => ref c.Flags),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("IORING_OP_READV", IoUring.OpReadv),
        ("IORING_OP_WRITEV", IoUring.OpWritev),
        ("IORING_OP_FSYNC", IoUring.OpFsync),
        ("IORING_FSYNC_DATASYNC", IoUring.FsyncDataSync),
        ("IORING_FEAT_SINGLE_MMAP", IoUring.FeatureSingleMmap),
        ("IORING_FEAT_SUBMIT_STABLE", IoUring.FeatureSubmitStable),
        ("IORING_ENTER_GETEVENTS", IoUring.EnterGetEvents),
        ("IORING_OFF_SQ_RING", IoUring.OffsetSqRing),
        ("IORING_OFF_CQ_RING", IoUring.OffsetCqRing),
        ("IORING_OFF_SQES", IoUring.OffsetSqes),
        ("IORING_OP_NOP", IoUring.OpNop),
        ("IORING_SETUP_R_DISABLED", IoUring.SetupRDisabled),
        ("IOSQE_FIXED_FILE", IoUring.SqeFixedFile),
        ("IORING_REGISTER_FILES", IoUring.RegisterFiles),
        ("IORING_REGISTER_RESTRICTIONS", IoUring.RegisterRestrictions),
        ("IORING_REGISTER_ENABLE_RINGS", IoUring.RegisterEnableRings),
        ("IORING_RESTRICTION_SQE_OP", IoUring.RestrictionSqeOp),
        ("IORING_RESTRICTION_SQE_FLAGS_ALLOWED", IoUring.RestrictionSqeFlagsAllowed),
        ("IORING_RESTRICTION_SQE_FLAGS_REQUIRED", IoUring.RestrictionSqeFlagsRequired),
        ("__NR_io_uring_setup", Interop.Sys.SysIoUringSetup),
        ("__NR_io_uring_register", Interop.Sys.SysIoUringRegister),
        ("__NR_io_uring_enter", Interop.Sys.SysIoUringEnter),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["linux/io_uring.h", "sys/syscall.h"], s_layouts, s_constants.Select(c => c.Macro)));

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-uring-{Guid.NewGuid():N}");

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    public static TheoryData<string> Macros() => new(s_constants.Select(c => c.Macro));

    public void Dispose() => File.Delete(_path);

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        IReadOnlyList<string> problems = s_oracle.Value.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccTheory]
    [MemberData(nameof(Macros))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), s_constants.Single(c => c.Macro == macro).Value);

    [IoUringFact]
    public void A_vectored_write_and_read_move_the_bytes_and_report_their_tags_and_lengths()
    {
        byte[] expected = Enumerable.Range(0, 12288).Select(i => (byte)(i * 7 + 3)).ToArray();
        File.WriteAllBytes(_path, new byte[16384]);
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
        using IoUring ring = IoUring.Create(8, 4);
        byte* source = (byte*)NativeMemory.Alloc(12288);
        byte* target = (byte*)NativeMemory.AllocZeroed(12288);
        try
        {
            expected.CopyTo(new Span<byte>(source, 12288));
            // Two segments of one write, in order, at 4 KiB into the file.
            Assert.True(ring.TryPrepareVectored(true, file, 4096, [new IoSegment((nint)source, 8192), new IoSegment((nint)(source + 8192), 4096)], 11));
            Assert.Equal(1, ring.Pending);
            Assert.Equal(1, ring.Submit(waitFor: 1));
            Span<IoCompletion> done = stackalloc IoCompletion[4];
            Assert.Equal(1, ring.Reap(done));
            Assert.Equal(new IoCompletion(11, 12288), done[0]);
            Assert.Equal(expected, File.ReadAllBytes(_path).AsSpan(4096, 12288).ToArray());

            // Read back as three segments in reverse address order.
            Assert.True(ring.TryPrepareVectored(false, file, 4096, [new IoSegment((nint)(target + 8192), 4096), new IoSegment((nint)(target + 4096), 4096), new IoSegment((nint)target, 4096)], 12));
            ring.Submit(waitFor: 1);
            Assert.Equal(1, ring.Reap(done));
            Assert.Equal(new IoCompletion(12, 12288), done[0]);
            Assert.Equal(expected.AsSpan(0, 4096).ToArray(), new Span<byte>(target + 8192, 4096).ToArray());
            Assert.Equal(expected.AsSpan(8192, 4096).ToArray(), new Span<byte>(target, 4096).ToArray());
            Assert.Equal(0, ring.Reap(done));
        }
        finally
        {
            NativeMemory.Free(source);
            NativeMemory.Free(target);
        }
    }

    [IoUringFact]
    public void A_read_past_the_end_is_short_and_one_on_a_file_opened_for_writing_only_fails_with_ebadf()
    {
        File.WriteAllBytes(_path, new byte[1000]);
        using SafeFileHandle readable = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        using SafeFileHandle writeOnly = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);
        using IoUring ring = IoUring.Create(4, 1);
        byte* buffer = (byte*)NativeMemory.Alloc(4096);
        try
        {
            Assert.True(ring.TryPrepareVectored(false, readable, 0, [new IoSegment((nint)buffer, 4096)], 1));
            Assert.True(ring.TryPrepareVectored(false, writeOnly, 0, [new IoSegment((nint)buffer, 4096)], 2));
            Assert.Equal(2, ring.Submit(waitFor: 2));
            Span<IoCompletion> done = stackalloc IoCompletion[4];
            Assert.Equal(2, ring.Reap(done));
            Dictionary<ulong, int> results = done[..2].ToArray().ToDictionary(c => c.UserData, c => c.Result);
            Assert.Equal(1000, results[1]);
            Assert.Equal(-Errno.EBADF, results[2]);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    [IoUringFact]
    public void A_full_ring_and_a_list_longer_than_it_takes_are_refused_without_preparing_anything()
    {
        File.WriteAllBytes(_path, new byte[4096]);
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        using IoUring ring = IoUring.Create(2, 2);
        byte* buffer = (byte*)NativeMemory.Alloc(4096);
        try
        {
            IoSegment one = new((nint)buffer, 512);
            Assert.False(ring.TryPrepareVectored(false, file, 0, [one, one, one], 1));
            Assert.True(ring.TryPrepareVectored(false, file, 0, [one], 1));
            Assert.True(ring.TryPrepareVectored(false, file, 0, [one, one], 2));
            Assert.False(ring.TryPrepareVectored(false, file, 0, [one], 3));
            Assert.Equal(2, ring.Pending);
            Assert.Equal(2, ring.Submit(waitFor: 2));
            Assert.Equal(0, ring.Pending);
            Span<IoCompletion> done = stackalloc IoCompletion[4];
            Assert.Equal(2, ring.Reap(done));
            Assert.True(ring.TryPrepareVectored(false, file, 0, [one], 3));
        }
        finally
        {
            ring.Submit(waitFor: 1);
            NativeMemory.Free(buffer);
        }
    }

    [IoUringFact]
    public void The_descriptor_is_readable_while_completions_wait_and_not_once_they_are_reaped()
    {
        File.WriteAllBytes(_path, new byte[4096]);
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        using IoUring ring = IoUring.Create(4, 1);
        using Epoll epoll = Epoll.Create();
        epoll.Add(ring.Handle, 7);
        byte* buffer = (byte*)NativeMemory.Alloc(4096);
        try
        {
            Span<ulong> ready = stackalloc ulong[2];
            Assert.Equal(0, epoll.Wait(ready, TimeSpan.Zero));
            Assert.True(ring.TryPrepareVectored(false, file, 0, [new IoSegment((nint)buffer, 4096)], 5));
            ring.Submit();
            Assert.Equal(1, epoll.Wait(ready, TimeSpan.FromSeconds(10)));
            Assert.Equal(7UL, ready[0]);
            Span<IoCompletion> done = stackalloc IoCompletion[2];
            Assert.Equal(1, ring.Reap(done));
            Assert.Equal(0, epoll.Wait(ready, TimeSpan.Zero));
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    [IoUringFact]
    public void A_ring_confined_to_one_file_moves_and_syncs_its_bytes_and_refuses_any_other_file_and_any_other_operation()
    {
        string other = _path + "-other";
        File.WriteAllBytes(_path, Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(other, new byte[4096]);
        try
        {
            using SafeFileHandle disk = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
            using SafeFileHandle secret = File.OpenHandle(other, FileMode.Open, FileAccess.Read);
            using IoUring ring = IoUring.Create(8, 1, onlyFile: disk);
            byte* buffer = (byte*)NativeMemory.AllocZeroed(4096);
            try
            {
                Assert.True(ring.TryPrepareVectored(false, disk, 0, [new IoSegment((nint)buffer, 4096)], 1));
                Assert.True(ring.TryPrepareVectored(false, secret, 0, [new IoSegment((nint)buffer, 4096)], 2));
                Assert.True(ring.TryPrepareNop(3));
                Assert.True(ring.TryPrepareDataSync(disk, 4));
                Assert.True(ring.TryPrepareDataSync(secret, 5));
                // A submission the kernel refuses ends that io_uring_enter's batch: the rest go in the next.
                var results = new Dictionary<ulong, int>();
                Span<IoCompletion> done = stackalloc IoCompletion[4];
                for (int tries = 0; results.Count < 5 && tries < 10; tries++)
                {
                    ring.Submit(waitFor: 1);
                    int n = ring.Reap(done);
                    foreach (IoCompletion completion in done[..n])
                    {
                        results.Add(completion.UserData, completion.Result);
                    }
                }
                Assert.Equal(0, ring.Pending);
                Assert.Equal(4096, results[1]);
                Assert.Equal(-Errno.EACCES, results[2]);
                Assert.Equal(-Errno.EACCES, results[3]);
                Assert.Equal(0, results[4]);
                Assert.Equal(-Errno.EACCES, results[5]);
                Assert.Equal(255, buffer[255]);
            }
            finally
            {
                NativeMemory.Free(buffer);
            }

            // An unconfined ring runs the same no-op.
            using IoUring open = IoUring.Create(2, 1);
            Assert.True(open.TryPrepareNop(9));
            open.Submit(waitFor: 1);
            Span<IoCompletion> one = stackalloc IoCompletion[1];
            Assert.Equal(1, open.Reap(one));
            Assert.Equal(new IoCompletion(9, 0), one[0]);
        }
        finally
        {
            File.Delete(other);
        }
    }

    [Fact]
    public void Create_refuses_a_size_that_is_not_a_power_of_two_and_lists_past_uio_maxiov()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IoUring.Create(3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => IoUring.Create(8192, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => IoUring.Create(8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => IoUring.Create(8, 1025));
    }
}
