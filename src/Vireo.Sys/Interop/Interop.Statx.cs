using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct statx (linux/stat.h) is 256 bytes: stx_mask (u32) at 0, stx_mode (u16) at 28,
        // stx_dio_mem_align and stx_dio_offset_align (u32) at 152 and 156. Only those are read,
        // so the struct is kept opaque (offsets checked against gcc in FileStorageTests).
        internal const int StatxSize = 256;
        internal const int StatxMaskOffset = 0;
        internal const int StatxModeOffset = 28;
        internal const int StatxDioMemAlignOffset = 152;
        internal const int StatxDioOffsetAlignOffset = 156;
        internal const uint StatxType = 0x0001;       // STATX_TYPE
        internal const uint StatxDioAlign = 0x2000;   // STATX_DIOALIGN (Linux 6.1)
        internal const int AtEmptyPath = 0x1000;      // AT_EMPTY_PATH: stat the fd itself
        internal const uint StatBlockDevice = 0x6000; // S_IFBLK

        [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int Statx(SafeFileHandle dirFd, string path, int flags, uint mask, byte* statx);

        // F_GETFL ignores the argument and F_SETFL takes an int (see Interop.Fcntl.cs).
        [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int FcntlFileFlags(SafeFileHandle fd, int command, int flags);

        [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
        internal static unsafe partial int IoctlFileInt(SafeFileHandle fd, nuint request, int* value);
    }
}
