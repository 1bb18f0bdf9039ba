namespace Vireo.Sys;

/// <summary>ioctl request encoding from asm-generic/ioctl.h (_IO, _IOR, _IOW, _IOWR).</summary>
public static class IoctlNumber
{
    private const int NrBits = 8;
    private const int TypeBits = 8;
    private const int SizeBits = 14;
    private const int TypeShift = NrBits;
    private const int SizeShift = TypeShift + TypeBits;
    private const int DirShift = SizeShift + SizeBits;
    private const uint DirNone = 0;
    private const uint DirWrite = 1;
    private const uint DirRead = 2;

    /// <summary>_IO(type, nr): a request that carries no argument struct.</summary>
    public static nuint Io(uint type, uint nr) => Encode(DirNone, type, nr, 0);

    /// <summary>
    /// _IOR(type, nr, size): the kernel writes <paramref name="size"/> bytes back to the caller.
    /// </summary>
    public static nuint Ior(uint type, uint nr, int size) => Encode(DirRead, type, nr, size);

    /// <summary>
    /// _IOW(type, nr, size): the kernel reads <paramref name="size"/> bytes from the caller.
    /// </summary>
    public static nuint Iow(uint type, uint nr, int size) => Encode(DirWrite, type, nr, size);

    /// <summary>
    /// _IOWR(type, nr, size): the kernel reads and then writes back <paramref name="size"/> bytes.
    /// </summary>
    public static nuint Iowr(uint type, uint nr, int size) => Encode(DirRead | DirWrite, type, nr, size);

    private static nuint Encode(uint dir, uint type, uint nr, int size)
    {
        if ((uint)size >= 1u << SizeBits)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "ioctl argument size does not fit in 14 bits");
        }
        return (nuint)((dir << DirShift) | ((uint)size << SizeShift) | (type << TypeShift) | nr);
    }
}
