using System.Buffers.Binary;

namespace Vireo.Loader.Tests;

/// <summary>A minimal file laid out as boot.rst describes a bzImage, with knobs to break it.</summary>
internal static class FakeBzImage
{
    public const int SetupSects = 4;
    public const int KernelBytes = 64 * 1024;

    public static byte[] Build(ushort version = 0x020f, byte loadflags = 0x01, ushort xloadflags = 0x03,
        uint initrdAddrMax = 0x7fffffff, uint cmdlineSize = 2048, uint initSize = 0x200000, int? truncateTo = null)
    {
        var file = new byte[(SetupSects + 1) * 512 + KernelBytes];
        Span<byte> s = file;
        s[0x1f1] = SetupSects;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x1f4..], KernelBytes / 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1fe..], 0xaa55);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x202..], 0x53726448);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x206..], version);
        s[0x211] = loadflags;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x22c..], initrdAddrMax);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x236..], xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x238..], cmdlineSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x260..], initSize);
        for (int i = (SetupSects + 1) * 512; i < file.Length; i++)
        {
            file[i] = (byte)(i * 7);
        }
        return truncateTo is int n ? file[..n] : file;
    }
}
