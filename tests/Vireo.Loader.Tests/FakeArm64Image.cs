using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vireo.Loader.Tests;

/// <summary>Small arm64 kernel files laid out as Documentation/arch/arm64/booting.rst and
/// drivers/firmware/efi/libstub/zboot-header.S describe them, for tests without a real kernel.</summary>
internal static class FakeArm64Image
{
    public const ulong Flags4KAnywhere = 0b1010;

    public static byte[] Image(int length = 0x3000, ulong textOffset = 0, ulong? imageSize = null, ulong flags = Flags4KAnywhere, uint magic = Arm64Image.Magic)
    {
        byte[] image = new byte[length];
        Span<byte> span = image;
        BinaryPrimitives.WriteUInt32LittleEndian(span, 0x1400_0010); // b +0x40, as code0 would be
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x08..], textOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x10..], imageSize ?? (ulong)length + 0x1000);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x18..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x38..], magic);
        for (int i = Arm64Image.HeaderSize; i < length; i++)
        {
            image[i] = (byte)(i * 7 + 1);
        }
        return image;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    public static byte[] Zboot(byte[] payload, string compression = "gzip", uint? payloadOffset = null, uint? payloadSize = null)
    {
        const int headerLength = 0x80;
        byte[] file = new byte[headerLength + payload.Length];
        Span<byte> span = file;
        "MZ"u8.CopyTo(span);
        "zimg"u8.CopyTo(span[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], payloadOffset ?? headerLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], payloadSize ?? (uint)payload.Length);
        Encoding.ASCII.GetBytes(compression).CopyTo(span[24..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x38..], 0x8182_23cd); // LINUX_PE_MAGIC
        payload.CopyTo(span[headerLength..]);
        return file;
    }
}
