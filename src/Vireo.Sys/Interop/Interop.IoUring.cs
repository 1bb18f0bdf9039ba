using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // io_uring_setup(2) and io_uring_enter(2) have no libc wrapper: the raw syscall, whose
        // number is the same on x86-64 and arm64 (asm-generic's table).
        internal const long SysIoUringSetup = 425;
        internal const long SysIoUringEnter = 426;
        internal const long SysIoUringRegister = 427;

        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static unsafe partial long SyscallIoUringSetup(long number, uint entries, IoUringParams* parameters);

        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial long SyscallIoUringEnter(long number, int fd, uint toSubmit, uint minComplete, uint flags, nint signals, nuint signalSetSize);

        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static unsafe partial long SyscallIoUringRegister(long number, int fd, uint opcode, void* arg, uint count);

        // struct io_uring_restriction: 16 bytes; Value is the union (register_op, sqe_op or sqe_flags).
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct IoUringRestriction
        {
            public ushort Opcode;
            public byte Value;
            public byte Resv;
            public fixed uint Resv2[3];
        }

        // struct io_sqring_offsets from <linux/io_uring.h>: 40 bytes (the last field is resv2 in
        // headers before Linux 6.5, user_addr after).
        [StructLayout(LayoutKind.Sequential)]
        internal struct IoSqringOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Flags;
            public uint Dropped;
            public uint Array;
            public uint Resv1;
            public ulong UserAddr;
        }

        // struct io_cqring_offsets: 40 bytes.
        [StructLayout(LayoutKind.Sequential)]
        internal struct IoCqringOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Overflow;
            public uint Cqes;
            public uint Flags;
            public uint Resv1;
            public ulong UserAddr;
        }

        // struct io_uring_params: 120 bytes.
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct IoUringParams
        {
            public uint SqEntries;
            public uint CqEntries;
            public uint Flags;
            public uint SqThreadCpu;
            public uint SqThreadIdle;
            public uint Features;
            public uint WqFd;
            public fixed uint Resv[3];
            public IoSqringOffsets SqOff;
            public IoCqringOffsets CqOff;
        }

        // struct io_uring_sqe: 64 bytes; only the fields of the plain vectored read, write and
        // fsync are named (the unions' first members), the rest stays zero.
        [StructLayout(LayoutKind.Sequential, Size = 64)]
        internal struct IoUringSqe
        {
            public byte Opcode;
            public byte Flags;
            public ushort Ioprio;
            public int Fd;
            public ulong Off;
            public ulong Addr;
            public uint Len;
            public uint RwFlags;
            public ulong UserData;
        }

        // struct io_uring_cqe: 16 bytes (without IORING_SETUP_CQE32).
        [StructLayout(LayoutKind.Sequential)]
        internal struct IoUringCqe
        {
            public ulong UserData;
            public int Res;
            public uint Flags;
        }
    }
}
