using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vireo.Loader.Fuzz;

/// <summary>One seed of <see cref="Arm64ImageTarget"/>: its corpus file name, its bytes, and
/// whether it must load (the rest must be refused with a <see cref="KernelImageException"/>).</summary>
public sealed record Arm64ImageSeed(string Name, byte[] Bytes, bool Loads);

/// <summary>
/// Starting points for <see cref="Arm64ImageTarget"/>: small Images with headers as
/// Documentation/arch/arm64/booting.rst lays them out (current, pre-3.17, big-endian), the same
/// Image gzipped and inside an EFI zboot header (drivers/firmware/efi/libstub/zboot-header.S),
/// a zstd zboot, and a machine too small; each with a RAM, device tree and initrd size.
/// </summary>
public static class Arm64ImageSeeds
{
    /// <summary>Every seed.</summary>
    public static IEnumerable<Arm64ImageSeed> All()
    {
        byte[] image = Image(textOffset: 0, imageSize: 0x4000, flags: 0b1010);
        yield return new("loads-image.bin", Input(64, 0x1_0000, 0x2345, image), true);
        yield return new("loads-text-offset.bin", Input(16, 0x2000, 0, Image(textOffset: 0x8_0000, imageSize: 0x10_0000, flags: 0b0010)), true);
        yield return new("loads-pre-3.17.bin", Input(16, 0x800, 0x1000, Image(textOffset: 0, imageSize: 0, flags: 0)), true);
        yield return new("loads-gzip.bin", Input(32, 0x1_0000, 0x1_0000, Gzip(image)), true);
        yield return new("loads-zboot-gzip.bin", Input(32, 0x1_0000, 0, Zboot(Gzip(image), "gzip")), true);
        yield return new("refused-zboot-zstd.bin", Input(32, 0x1_0000, 0, Zboot(new byte[64], "zstd")), false);
        yield return new("refused-big-endian.bin", Input(64, 0x1_0000, 0, Image(textOffset: 0, imageSize: 0x4000, flags: 0b1011)), false);
        yield return new("refused-ram-too-small.bin", Input(1, 0x1_0000, 0x10_0000, image), false);
    }

    private static byte[] Input(int ramMiB, int treeSize, int initrdSize, byte[] file)
    {
        byte[] input = new byte[Arm64ImageTarget.ChoiceBytes + file.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(input, (ushort)(ramMiB - 1));
        int tree = treeSize - 1;
        input[2] = (byte)tree;
        input[3] = (byte)(tree >> 8);
        input[4] = (byte)(tree >> 16);
        input[5] = (byte)initrdSize;
        input[6] = (byte)(initrdSize >> 8);
        input[7] = (byte)(initrdSize >> 16);
        file.CopyTo(input, Arm64ImageTarget.ChoiceBytes);
        return input;
    }

    private static byte[] Image(ulong textOffset, ulong imageSize, ulong flags)
    {
        byte[] image = new byte[0x1000];
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x08), textOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x10), imageSize);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x18), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x38), Arm64Image.Magic);
        for (int i = Arm64Image.HeaderSize; i < image.Length; i++)
        {
            image[i] = (byte)(i * 13);
        }
        return image;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }
        // GZipStream leaves the header's OS byte to the platform; fix it so the seed is the same everywhere.
        byte[] bytes = output.ToArray();
        bytes[9] = 3;
        return bytes;
    }

    private static byte[] Zboot(byte[] payload, string compression)
    {
        byte[] file = new byte[0x40 + payload.Length];
        "MZ"u8.CopyTo(file);
        "zimg"u8.CopyTo(file.AsSpan(4));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), 0x40);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12), (uint)payload.Length);
        Encoding.ASCII.GetBytes(compression).CopyTo(file, 24);
        payload.CopyTo(file, 0x40);
        return file;
    }
}
