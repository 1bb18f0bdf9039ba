namespace Vireo.Virtio.Tests;

/// <summary>A disk image in a temporary file filled with a known pattern, deleted on dispose.</summary>
public sealed class TempImage : IDisposable
{
    public TempImage(int size)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vireo-blk-{Guid.NewGuid():n}.img");
        Original = Pattern(size, seed: 7);
        File.WriteAllBytes(Path, Original);
    }

    public string Path { get; }

    public byte[] Original { get; }

    public byte[] Contents() => File.ReadAllBytes(Path);

    public static byte[] Pattern(int size, int seed)
    {
        byte[] bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose() => File.Delete(Path);
}
