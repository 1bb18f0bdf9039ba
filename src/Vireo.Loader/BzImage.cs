using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>
/// A Linux x86 bzImage, checked against the boot protocol (Documentation/arch/x86/boot.rst)
/// before any VM exists: the real-mode setup sectors carry the setup header; the protected-mode
/// kernel follows them and is what Vireo loads, entering it at its 64-bit entry point.
/// </summary>
public sealed class BzImage
{
    /// <summary>"HdrS" at 0x202: boot protocol 2.00 and later.</summary>
    internal const uint HeaderMagic = 0x5372_6448;

    /// <summary>2.12 introduced xloadflags (XLF_KERNEL_64), which Vireo's 64-bit entry needs.</summary>
    public const ushort MinimumProtocol = 0x020c;

    internal const int SetupHeaderOffset = 0x1f1;
    private const ushort BootSectorSignature = 0xaa55;
    private const byte LoadedHigh = 1 << 0;
    private const ushort XlfKernel64 = 1 << 0;
    private const int SectorSize = 512;

    // The setup sectors are at most 255 + 1 sectors; this much of the file holds all of them.
    private const int MaxSetupBytes = 256 * SectorSize;

    private readonly ReadOnlyMemory<byte> _kernel;
    private readonly string? _path;
    private readonly long _kernelOffset;

    private BzImage(SetupHeader header, ReadOnlyMemory<byte> kernel)
    {
        Header = header;
        _kernel = kernel;
        ProtectedModeKernelLength = kernel.Length;
    }

    private BzImage(SetupHeader header, string path, long kernelOffset, long kernelLength)
    {
        Header = header;
        _path = path;
        _kernelOffset = kernelOffset;
        ProtectedModeKernelLength = kernelLength;
    }

    internal SetupHeader Header { get; }

    /// <summary>Bytes of the part of the file loaded at 1 MiB.</summary>
    public long ProtectedModeKernelLength { get; }

    /// <summary>The part of the file loaded at 1 MiB. An image from <see cref="Load"/> keeps only
    /// its header in memory, so this reads the file each time (tests and tools; the loader writes
    /// the kernel straight from the file into guest RAM instead).</summary>
    public ReadOnlyMemory<byte> ProtectedModeKernel
    {
        get
        {
            if (_path is null)
            {
                return _kernel;
            }
            byte[] bytes = new byte[ProtectedModeKernelLength];
            using SafeFileHandle file = OpenKernel(_path);
            ReadExactly(file, bytes, _kernelOffset, _path);
            return bytes;
        }
    }

    /// <summary>Writes the protected-mode kernel to <paramref name="memory"/> at
    /// <paramref name="address"/>, from the file when the image came from one.</summary>
    internal void WriteProtectedModeKernel(GuestMemory memory, GuestAddress address)
    {
        if (_path is null)
        {
            memory.Write(address, _kernel.Span);
            return;
        }
        using SafeFileHandle file = OpenKernel(_path);
        ReadExactly(file, memory.GetSpan(address, checked((int)ProtectedModeKernelLength)), _kernelOffset, _path);
    }

    /// <summary>
    /// The boot protocol version from the setup header, as <c>major.minor</c> (e.g. <c>2.15</c>).
    /// </summary>
    public string ProtocolVersion => $"{Header.Version >> 8}.{Header.Version & 0xff:D2}";

    /// <summary>Bytes of memory the kernel needs from its load address while decompressing.</summary>
    internal uint InitSize => Header.InitSize;

    /// <summary>
    /// Reads and parses the kernel at <paramref name="path"/>; throws <see
    /// cref="KernelImageException"/> with a one-line reason when it cannot be read or is not a
    /// usable bzImage.
    /// </summary>
    /// <remarks>Only the setup sectors are read and kept; the protected-mode kernel (megabytes,
    /// read again at every guest reboot) goes from the file straight into guest RAM.</remarks>
    public static BzImage Load(string path)
    {
        using SafeFileHandle file = OpenKernel(path);
        long length;
        byte[] head;
        try
        {
            length = RandomAccess.GetLength(file);
            head = new byte[(int)Math.Min(length, MaxSetupBytes)];
            ReadExactly(file, head, 0, path);
        }
        catch (IOException e)
        {
            throw new KernelImageException($"cannot read kernel {path}: {e.Message}");
        }
        (SetupHeader header, int kernelOffset) = ParseHeader(head, length, path);
        return new BzImage(header, path, kernelOffset, length - kernelOffset);
    }

    private static SafeFileHandle OpenKernel(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read kernel {path}: {e.Message}");
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string path)
    {
        int done = 0;
        try
        {
            while (done < destination.Length)
            {
                int n = RandomAccess.Read(file, destination[done..], offset + done);
                if (n == 0)
                {
                    throw new KernelImageException($"kernel {path} shrank while it was read ({offset + done} bytes)");
                }
                done += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read kernel {path}: {e.Message}");
        }
    }

    /// <summary>
    /// Parses a bzImage held in memory; <paramref name="name"/> is used in error messages. Throws
    /// <see cref="KernelImageException"/> when the image is not a 64-bit-capable bzImage of
    /// protocol 2.12 or later.
    /// </summary>
    public static BzImage Parse(ReadOnlyMemory<byte> file, string name = "kernel")
    {
        (SetupHeader header, int kernelOffset) = ParseHeader(file.Span, file.Length, name);
        return new BzImage(header, file[kernelOffset..]);
    }

    /// <summary>Checks the image from its first bytes (<paramref name="bytes"/>, at least the
    /// setup sectors when the file has them) and its whole length.</summary>
    private static (SetupHeader Header, int KernelOffset) ParseHeader(ReadOnlySpan<byte> bytes, long fileLength, string name)
    {
        int headerEnd = SetupHeaderOffset + Marshal.SizeOf<SetupHeader>();
        if (bytes.Length < headerEnd)
        {
            throw new KernelImageException($"{name} is {fileLength} bytes: too short to hold a bzImage boot sector and setup header ({headerEnd} bytes); the file is truncated or not a kernel");
        }
        SetupHeader header = MemoryMarshal.Read<SetupHeader>(bytes[SetupHeaderOffset..]);
        if (header.Header != HeaderMagic)
        {
            string hint = bytes[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F'])
                ? " (it is an ELF file: pass the compressed bzImage, e.g. /boot/vmlinuz-*, not vmlinux)"
                : " (pass a bzImage such as /boot/vmlinuz-*)";
            throw new KernelImageException($"{name} is not a bzImage: no 'HdrS' boot-protocol signature at offset 0x202{hint}");
        }
        if (header.BootFlag != BootSectorSignature)
        {
            throw new KernelImageException($"{name} is not a bzImage: boot sector signature is 0x{header.BootFlag:x4}, expected 0xaa55");
        }
        if (header.Version < MinimumProtocol)
        {
            throw new KernelImageException(
                $"{name} speaks boot protocol {header.Version >> 8}.{header.Version & 0xff:D2}; Vireo needs 2.12 or newer (Linux 3.8+) for the 64-bit entry point");
        }
        if ((header.Loadflags & LoadedHigh) == 0)
        {
            throw new KernelImageException($"{name} is a zImage that loads below 1 MiB; Vireo boots bzImages only");
        }
        if ((header.Xloadflags & XlfKernel64) == 0)
        {
            throw new KernelImageException($"{name} has no 64-bit entry point (XLF_KERNEL_64 is clear): build it for x86_64");
        }
        int setupSectors = header.SetupSects == 0 ? 4 : header.SetupSects;
        int kernelOffset = (setupSectors + 1) * SectorSize;
        // syssize counts 16-byte paragraphs of the protected-mode kernel.
        long expectedKernel = (long)header.Syssize * 16;
        if (fileLength <= kernelOffset || fileLength - kernelOffset < expectedKernel)
        {
            throw new KernelImageException(
                $"{name} is truncated: its header describes {kernelOffset + expectedKernel} bytes but the file has {fileLength}");
        }
        return (header, kernelOffset);
    }
}
