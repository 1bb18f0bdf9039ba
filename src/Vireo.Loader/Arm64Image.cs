using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>
/// A Linux arm64 kernel Image, checked against the arm64 boot protocol
/// (Documentation/arch/arm64/booting.rst) before any VM exists. The file may be the Image itself,
/// a gzip stream of it, or an EFI zboot image with a gzip payload; either compressed form is
/// inflated here with a bound on the output, so a hostile file is a
/// <see cref="KernelImageException"/>, never an unbounded allocation.
/// </summary>
public sealed class Arm64Image
{
    /// <summary>booting.rst: the 64-byte header at the start of the Image.</summary>
    public const int HeaderSize = 64;

    /// <summary>booting.rst: "ARM\x64" at offset 0x38, read little-endian.</summary>
    public const uint Magic = 0x644d_5241;

    /// <summary>booting.rst: the device tree must not exceed 2 megabytes.</summary>
    public const long MaxDeviceTreeSize = 2 << 20;

    /// <summary>booting.rst: the Image goes at a 2 MiB-aligned base plus text_offset.</summary>
    public const ulong KernelAlignment = 2 << 20;

    /// <summary>booting.rst: an image_size of 0 (kernels before 3.17) means a text_offset of 0x80000.</summary>
    public const ulong LegacyTextOffset = 0x8_0000;

    /// <summary>The largest Image (after decompression) taken unless the caller says otherwise;
    /// distribution kernels are 30-60 MiB.</summary>
    public const long DefaultMaxImageSize = 256 << 20;

    private const int MagicOffset = 0x38;
    private const ulong FlagBigEndian = 1 << 0;
    private const int FlagPageSizeShift = 1;
    private const ulong FlagPageSizeMask = 0x3;
    private const ulong FlagPhysicalPlacement = 1 << 3;
    private const int DeviceTreeAlignment = 8;
    private const ulong InitrdAlignment = 0x1000;
    private const ulong InitrdWindowAlignment = 1UL << 30;
    private const ulong InitrdWindowSize = 32UL << 30;

    // RFC 1952 §2.3: a 10-byte header and an 8-byte trailer (CRC32, ISIZE).
    private const int GzipMinimumSize = 18;

    // drivers/firmware/efi/libstub/zboot-header.S: "MZ", "zimg", payload offset and size (le32),
    // two reserved words, then the compression type as a NUL-terminated string up to 0x38.
    private const int ZbootTypeOffset = 4;
    private const int ZbootPayloadOffsetOffset = 8;
    private const int ZbootPayloadSizeOffset = 12;
    private const int ZbootCompressionOffset = 24;
    private const int ZbootCompressionEnd = 0x38;

    private Arm64Image(ReadOnlyMemory<byte> image, Arm64ImageFormat format, ulong textOffset, ulong effectiveSize, ulong flags)
    {
        Image = image;
        Format = format;
        TextOffset = textOffset;
        EffectiveSize = effectiveSize;
        PageSize = (Arm64PageSize)((flags >> FlagPageSizeShift) & FlagPageSizeMask);
        AnyPhysicalPlacement = (flags & FlagPhysicalPlacement) != 0;
    }

    /// <summary>The Image's bytes (decompressed), what goes into guest RAM.</summary>
    public ReadOnlyMemory<byte> Image { get; }

    /// <summary>How the file held the Image.</summary>
    public Arm64ImageFormat Format { get; }

    /// <summary>The offset from a 2 MiB-aligned base at which the Image goes.</summary>
    public ulong TextOffset { get; }

    /// <summary>Bytes the kernel occupies from its load address, bss included (image_size, or for a
    /// pre-3.17 kernel the Image's length rounded up to 2 MiB, since its bss is not stated).</summary>
    public ulong EffectiveSize { get; }

    /// <summary>The kernel's page size, as its header states it.</summary>
    public Arm64PageSize PageSize { get; }

    /// <summary>Flags bit 3: the 2 MiB-aligned base may be anywhere in RAM; when clear it should be
    /// as close to the bottom of RAM as possible (memory below it is not in the linear map).</summary>
    public bool AnyPhysicalPlacement { get; }

    /// <summary>Reads and checks the kernel at <paramref name="path"/>.</summary>
    public static Arm64Image Load(string path, long maxImageSize = DefaultMaxImageSize)
    {
        byte[] file;
        try
        {
            using FileStream stream = File.OpenRead(path);
            if (stream.Length > maxImageSize)
            {
                throw new KernelImageException($"kernel {path} is {stream.Length} bytes, over the limit of {maxImageSize}");
            }
            file = new byte[stream.Length];
            stream.ReadExactly(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read kernel {path}: {e.Message}");
        }
        return Parse(file, maxImageSize);
    }

    /// <summary>Checks <paramref name="file"/> (an Image, a gzip stream of one, or an EFI zboot
    /// image with a gzip payload) and returns the Image, at most <paramref name="maxImageSize"/>
    /// bytes once decompressed.</summary>
    public static Arm64Image Parse(ReadOnlyMemory<byte> file, long maxImageSize = DefaultMaxImageSize)
    {
        ReadOnlySpan<byte> span = file.Span;
        if (span.Length >= ZbootCompressionEnd && span[..2].SequenceEqual("MZ"u8) && span[ZbootTypeOffset..(ZbootTypeOffset + 4)].SequenceEqual("zimg"u8))
        {
            return FromImage(Inflate(ZbootPayload(span), maxImageSize, "the EFI zboot payload"), Arm64ImageFormat.EfiZbootGzip);
        }
        if (IsGzip(span))
        {
            return FromImage(Inflate(span, maxImageSize, "the gzip-compressed kernel"), Arm64ImageFormat.Gzip);
        }
        if (span.Length > maxImageSize)
        {
            throw new KernelImageException($"the kernel Image is {span.Length} bytes, over the limit of {maxImageSize}");
        }
        return FromImage(file, Arm64ImageFormat.Image);
    }

    /// <summary>
    /// Places the kernel, a device tree of <paramref name="deviceTreeSize"/> bytes and an initrd of
    /// <paramref name="initrdSize"/> bytes (0: none) in the RAM at <paramref name="ramBase"/>: the
    /// kernel at the lowest 2 MiB-aligned base plus text_offset, the device tree at the start of the
    /// highest 2 MiB block it fits in whole, the initrd page-aligned just below it (or below the
    /// end of the 32 GiB window the protocol requires it to share with the kernel). A
    /// <see cref="KernelImageException"/> when they do not fit or the device tree is over 2 MiB.
    /// </summary>
    public Arm64BootLayout Place(GuestAddress ramBase, ulong ramSize, ulong deviceTreeSize, ulong initrdSize)
    {
        if (deviceTreeSize is 0 or > MaxDeviceTreeSize)
        {
            throw new KernelImageException($"the device tree is {deviceTreeSize} bytes; the arm64 boot protocol takes 1 to {MaxDeviceTreeSize}");
        }
        if (ramSize > ulong.MaxValue - ramBase.Value)
        {
            throw new KernelImageException($"RAM at {ramBase} of 0x{ramSize:x} bytes wraps past the top of the address space");
        }
        ulong ramEnd = ramBase.Value + ramSize;
        string more = $"give the guest more than 0x{ramSize:x} bytes of RAM";

        ulong kernelBase = AlignUp(ramBase.Value, KernelAlignment, out bool overflow);
        ulong load = kernelBase + TextOffset;
        ulong kernelEnd = load + EffectiveSize;
        if (overflow || load < kernelBase || kernelEnd < load || kernelEnd > ramEnd)
        {
            throw new KernelImageException($"the kernel needs 0x{EffectiveSize:x} bytes at 2 MiB-aligned base + 0x{TextOffset:x}; {more}");
        }

        // Never straddling a 2 MiB block: the kernel maps the device tree with blocks of that size.
        ulong deviceTree = AlignDown(ramEnd - deviceTreeSize, KernelAlignment);
        if (ramEnd - kernelEnd < deviceTreeSize || deviceTree < kernelEnd)
        {
            throw new KernelImageException($"the device tree ({deviceTreeSize} bytes) does not fit above the kernel; {more}");
        }

        GuestAddress? initrd = null;
        if (initrdSize > 0)
        {
            // booting.rst: the initrd must lie in one 1 GiB-aligned window of at most 32 GiB that
            // also covers the kernel (the linear map must reach both).
            ulong windowStart = AlignDown(load, InitrdWindowAlignment);
            ulong ceiling = windowStart > ulong.MaxValue - InitrdWindowSize ? deviceTree : Math.Min(deviceTree, windowStart + InitrdWindowSize);
            if (ceiling < kernelEnd || ceiling - kernelEnd < initrdSize || AlignDown(ceiling - initrdSize, InitrdAlignment) < kernelEnd)
            {
                throw new KernelImageException($"the initrd ({initrdSize} bytes) does not fit between the kernel and the device tree, within 32 GiB of the kernel; {more}");
            }
            initrd = new GuestAddress(AlignDown(ceiling - initrdSize, InitrdAlignment));
        }
        return new Arm64BootLayout(new GuestAddress(load), new GuestAddress(kernelEnd), new GuestAddress(load), new GuestAddress(deviceTree), initrd);
    }

    /// <summary>Writes the Image at <paramref name="layout"/>'s kernel address. The rest of what the
    /// kernel occupies (its bss) is left as it is: the kernel clears its own bss early in head.S.</summary>
    public void WriteTo(GuestMemory memory, Arm64BootLayout layout)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(layout);
        memory.Write(layout.KernelAddress, Image.Span);
    }

    private static Arm64Image FromImage(ReadOnlyMemory<byte> image, Arm64ImageFormat format)
    {
        ReadOnlySpan<byte> span = image.Span;
        if (span.Length < HeaderSize)
        {
            throw new KernelImageException($"the kernel is {span.Length} bytes, shorter than the {HeaderSize}-byte arm64 Image header");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(span[MagicOffset..]);
        if (magic != Magic)
        {
            throw new KernelImageException(IsGzip(span)
                ? "the kernel is gzip-compressed twice; Vireo inflates one layer"
                : $"not an arm64 kernel Image: magic 0x{magic:x8} at 0x38, not \"ARM\\x64\" (0x{Magic:x8})");
        }
        ulong textOffset = BinaryPrimitives.ReadUInt64LittleEndian(span[0x08..]);
        ulong imageSize = BinaryPrimitives.ReadUInt64LittleEndian(span[0x10..]);
        ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(span[0x18..]);
        ulong length = (ulong)span.Length;
        if (imageSize == 0)
        {
            // booting.rst: before 3.17 the header's text_offset has unknown endianness and image_size
            // is 0; such a kernel sits at 0x80000 and its bss is unstated, so leave a 2 MiB margin.
            return new Arm64Image(image, format, LegacyTextOffset, AlignUp(length, KernelAlignment, out _) + KernelAlignment, 0);
        }
        if ((flags & FlagBigEndian) != 0)
        {
            throw new KernelImageException("the kernel is big-endian (Image header flags bit 0); Vireo boots little-endian arm64 kernels only");
        }
        if (imageSize < length)
        {
            throw new KernelImageException($"the Image header's image_size 0x{imageSize:x} is smaller than the Image itself (0x{length:x} bytes)");
        }
        if (textOffset >= KernelAlignment)
        {
            throw new KernelImageException($"the Image header's text_offset 0x{textOffset:x} is not below 2 MiB (the kernel's 2 MiB-aligned base is below it)");
        }
        if (imageSize > long.MaxValue)
        {
            throw new KernelImageException($"the Image header's image_size 0x{imageSize:x} is out of range");
        }
        return new Arm64Image(image, format, textOffset, imageSize, flags);
    }

    private static ReadOnlySpan<byte> ZbootPayload(ReadOnlySpan<byte> file)
    {
        ReadOnlySpan<byte> name = file[ZbootCompressionOffset..ZbootCompressionEnd];
        int nul = name.IndexOf((byte)0);
        string compression = Encoding.ASCII.GetString(nul < 0 ? name : name[..nul]);
        if (compression != "gzip")
        {
            string shown = compression.All(c => c is >= ' ' and < (char)0x7f) ? compression : "(unreadable)";
            throw new KernelImageException($"the EFI zboot kernel's payload is compressed with '{shown}'; Vireo inflates gzip only (build the kernel with CONFIG_KERNEL_GZIP, or pass the plain Image)");
        }
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(file[ZbootPayloadOffsetOffset..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(file[ZbootPayloadSizeOffset..]);
        if ((ulong)offset + size > (ulong)file.Length || size == 0)
        {
            throw new KernelImageException($"the EFI zboot header puts its payload at 0x{offset:x}, 0x{size:x} bytes, outside the {file.Length}-byte file");
        }
        ReadOnlySpan<byte> payload = file.Slice((int)offset, (int)size);
        if (!IsGzip(payload))
        {
            throw new KernelImageException("the EFI zboot header says gzip, but its payload does not start with the gzip magic");
        }
        return payload;
    }

    private static bool IsGzip(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    private static byte[] Inflate(ReadOnlySpan<byte> compressed, long maxImageSize, string what)
    {
        if (compressed.Length < GzipMinimumSize)
        {
            throw new KernelImageException($"{what} is {compressed.Length} bytes, too short for a gzip stream");
        }
        // UnmanagedMemoryStream would avoid the copy; the compressed file is small next to the output.
        using var input = new MemoryStream(compressed.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        byte[] buffer = new byte[1 << 16];
        try
        {
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (output.Length + read > maxImageSize)
                {
                    throw new KernelImageException($"{what} inflates to more than {maxImageSize} bytes");
                }
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException e)
        {
            throw new KernelImageException($"{what} is not a valid gzip stream: {e.Message}");
        }
        // RFC 1952 §2.3.1: the last four bytes (ISIZE) are the input's length modulo 2^32; a stream
        // cut short inflates without complaint but not to that length.
        uint isize = BinaryPrimitives.ReadUInt32LittleEndian(compressed[^4..]);
        if (isize != (uint)output.Length)
        {
            throw new KernelImageException($"{what} is truncated or corrupt: it inflated to {output.Length} bytes, its trailer says {isize}");
        }
        return output.ToArray();
    }

    private static ulong AlignUp(ulong value, ulong alignment, out bool overflow)
    {
        ulong mask = alignment - 1;
        overflow = value > ulong.MaxValue - mask;
        return overflow ? 0 : (value + mask) & ~mask;
    }

    private static ulong AlignDown(ulong value, ulong alignment) => value & ~(alignment - 1);
}
