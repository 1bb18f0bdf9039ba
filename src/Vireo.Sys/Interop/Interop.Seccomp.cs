using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct sock_filter from <linux/filter.h>: one classic BPF instruction.
        [StructLayout(LayoutKind.Sequential)]
        internal struct SockFilter
        {
            public ushort Code;
            public byte JumpTrue;
            public byte JumpFalse;
            public uint K;
        }

        // struct sock_fprog from <linux/filter.h>: the program handed to seccomp(2).
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct SockFprog
        {
            public ushort Length;
            public SockFilter* Filter;
        }

        // struct seccomp_data from <linux/seccomp.h>: what a filter reads. Only the offsets are
        // used (the kernel builds it); the layout test pins them.
        [StructLayout(LayoutKind.Sequential)]
        internal struct SeccompData
        {
            public int Nr;
            public uint Arch;
            public ulong InstructionPointer;
            public SeccompArgs Args;
        }

        // seccomp_data.args: __u64 args[6].
        [System.Runtime.CompilerServices.InlineArray(6)]
        internal struct SeccompArgs
        {
            private ulong _element;
        }

        // glibc has no seccomp() wrapper; syscall() is variadic and takes longs, passed like fixed
        // arguments on x86-64 SysV.
        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static unsafe partial long SyscallSeccomp(long number, ulong operation, ulong flags, SockFprog* program);

        // A raw syscall with up to three integer arguments, for the confinement self-tests.
        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial long Syscall3(long number, ulong arg1, ulong arg2, ulong arg3);

        [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial long Syscall4(long number, ulong arg1, ulong arg2, ulong arg3, ulong arg4);
    }
}
