using System.Globalization;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// A snapshot on disk: a directory holding <see cref="MemoryFile"/> (guest RAM, region after
/// region, as a sparse file: pages of zeros are holes) and <see cref="DocumentFile"/> (the
/// <see cref="SnapshotDocument"/>). The document is written last, under a temporary name renamed
/// into place, so a directory without it is no snapshot (a save that failed half way is never
/// taken for one). Reading checks everything a hostile or damaged file could get wrong — size,
/// format, version, a RAM image shorter or longer than the machine — and says which.
/// </summary>
public static class SnapshotStore
{
    /// <summary>The document's name in the directory.</summary>
    public const string DocumentFile = "vm.json";

    /// <summary>Guest RAM's name in the directory.</summary>
    public const string MemoryFile = "memory";

    /// <summary>The largest document read (a 1000-register vCPU takes ~60 KiB; this allows
    /// hundreds of vCPUs and never lets a file make the VMM allocate without bound).</summary>
    public const long MaxDocumentBytes = 64L << 20;

    private const int PageSize = 4096;
    private const int ChunkSize = 1 << 20;

    /// <summary>Writes guest RAM and then <paramref name="document"/> into <paramref name="directory"/>,
    /// creating it if needed. A directory that already holds a snapshot is refused: a snapshot is
    /// never overwritten by accident.</summary>
    /// <exception cref="IOException">The directory holds a snapshot already, or writing failed.</exception>
    public static void Save(string directory, SnapshotDocument document, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(memory);
        string documentPath = Path.Combine(directory, DocumentFile);
        if (File.Exists(documentPath))
        {
            throw new IOException($"{directory} already holds a snapshot ({DocumentFile}); remove it or choose another directory");
        }
        Directory.CreateDirectory(directory);
        SaveMemory(Path.Combine(directory, MemoryFile), memory);
        string temporary = documentPath + ".partial";
        using (FileStream stream = new(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, document, SnapshotJsonContext.Default.SnapshotDocument);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, documentPath, overwrite: false);
    }

    /// <summary>Reads and checks the document of the snapshot in <paramref name="directory"/>.</summary>
    /// <exception cref="SnapshotException">No snapshot there, or one this Vireo cannot restore.</exception>
    public static SnapshotDocument Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, DocumentFile);
        if (!File.Exists(path))
        {
            throw new SnapshotException(Directory.Exists(directory)
                ? $"{directory} holds no snapshot (no {DocumentFile}; a snapshot that failed half way has none)"
                : $"no snapshot directory {directory}");
        }
        long length = new FileInfo(path).Length;
        if (length > MaxDocumentBytes)
        {
            throw new SnapshotException($"{path} is {length} bytes, more than the {MaxDocumentBytes} a snapshot document may be");
        }
        SnapshotDocument? document;
        try
        {
            using FileStream stream = File.OpenRead(path);
            document = JsonSerializer.Deserialize(stream, SnapshotJsonContext.Default.SnapshotDocument);
        }
        catch (JsonException e)
        {
            throw new SnapshotException($"{path} is not a snapshot document: {e.Message}", e);
        }
        if (document is null)
        {
            throw new SnapshotException($"{path} is not a snapshot document: it is null");
        }
        if (document.Format != SnapshotDocument.FormatName)
        {
            throw new SnapshotException($"{path} is not a Vireo snapshot (format '{document.Format}')");
        }
        if (document.Version is < SnapshotDocument.OldestVersion or > SnapshotDocument.CurrentVersion)
        {
            throw new SnapshotException($"{path} is a version {document.Version} snapshot; this Vireo restores versions {SnapshotDocument.OldestVersion} to {SnapshotDocument.CurrentVersion}");
        }
        if ((document.Gpio is null) != (document.Version < SnapshotDocument.GpioVersion))
        {
            throw new SnapshotException(document.Gpio is null
                ? $"{path} is a version {document.Version} snapshot without the GPIO controller's state, which that version always has"
                : $"{path} is a version {document.Version} snapshot, which has no GPIO controller, yet holds its state");
        }
        if ((document.Pci is not null || document.Its is not null) && document.Version < SnapshotDocument.PciVersion)
        {
            throw new SnapshotException($"{path} is a version {document.Version} snapshot, which has no PCI functions or ITS, yet holds their state");
        }
        if (document.Machine.Cpus < 1 || document.Vcpus.Count != document.Machine.Cpus)
        {
            throw new SnapshotException($"{path} describes {document.Machine.Cpus} vCPUs but holds {document.Vcpus.Count}");
        }
        return document;
    }

    /// <summary>Fills <paramref name="memory"/> (fresh, so all zeros) from the RAM image, which
    /// must be exactly as long as the memory.</summary>
    /// <exception cref="SnapshotException">The image is missing or of another size.</exception>
    public static void LoadMemory(string directory, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(memory);
        string path = Path.Combine(directory, MemoryFile);
        if (!File.Exists(path))
        {
            throw new SnapshotException($"the snapshot in {directory} has no RAM image ({MemoryFile})");
        }
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        long length = RandomAccess.GetLength(file);
        if ((ulong)length != memory.Size)
        {
            throw new SnapshotException($"{path} holds {length} bytes of RAM; the snapshot's machine has {memory.Size}");
        }
        byte[] buffer = new byte[ChunkSize];
        foreach ((GuestAddress address, long offset, int n) in Chunks(memory))
        {
            Span<byte> chunk = buffer.AsSpan(0, n);
            int read = 0;
            while (read < n)
            {
                int got = RandomAccess.Read(file, chunk[read..], offset + read);
                if (got == 0)
                {
                    throw new SnapshotException($"{path} ended at {offset + read} bytes while being read (was it truncated meanwhile?)");
                }
                read += got;
            }
            // The memory is fresh: zeros need no copy, and not touching them keeps them unbacked.
            if (chunk.ContainsAnyExcept((byte)0))
            {
                memory.Write(address, chunk);
            }
        }
    }

    private static void SaveMemory(string path, GuestMemory memory)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        // The file's length first: what is never written stays a hole that reads as zeros.
        RandomAccess.SetLength(file, (long)memory.Size);
        byte[] buffer = new byte[ChunkSize];
        foreach ((GuestAddress address, long offset, int n) in Chunks(memory))
        {
            Span<byte> chunk = buffer.AsSpan(0, n);
            memory.Read(address, chunk);
            for (int page = 0; page < n; page += PageSize)
            {
                ReadOnlySpan<byte> bytes = chunk.Slice(page, Math.Min(PageSize, n - page));
                if (bytes.ContainsAnyExcept((byte)0))
                {
                    RandomAccess.Write(file, bytes, offset + page);
                }
            }
        }
        RandomAccess.FlushToDisk(file);
    }

    /// <summary>Guest RAM in file order, region after region, in chunks of at most
    /// <see cref="ChunkSize"/>: each chunk's guest address, its offset in the image and its length.</summary>
    private static IEnumerable<(GuestAddress Address, long Offset, int Length)> Chunks(GuestMemory memory)
    {
        long offset = 0;
        foreach (GuestRegion region in memory.Regions)
        {
            for (ulong done = 0; done < region.Size;)
            {
                int n = (int)Math.Min((ulong)ChunkSize, region.Size - done);
                yield return (new GuestAddress(region.Start.Value + done), offset, n);
                done += (ulong)n;
                offset += n;
            }
        }
    }

    /// <summary>A value's bytes as hex (the document's encoding of register values).</summary>
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>A 64-bit id or attr as <c>0x…</c>.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Parses a <c>0x…</c> number written by <see cref="Hex(ulong)"/>.</summary>
    /// <exception cref="SnapshotException">Not such a number; <paramref name="what"/> names it.</exception>
    public static ulong ParseNumber(string text, string what)
    {
        if (text is null || !text.StartsWith("0x", StringComparison.Ordinal) ||
            !ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new SnapshotException($"{what}: '{text}' is not a 0x-prefixed 64-bit hex number");
        }
        return value;
    }

    /// <summary>Parses value bytes written by <see cref="Hex(ReadOnlySpan{byte})"/>; exactly <paramref name="length"/> of them.</summary>
    /// <exception cref="SnapshotException">Not hex, or another length; <paramref name="what"/> names the value.</exception>
    public static byte[] ParseBytes(string text, int length, string what)
    {
        if (text is null || text.Length != length * 2)
        {
            throw new SnapshotException($"{what}: the value must be {length} bytes ({length * 2} hex digits), not '{text}'");
        }
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new SnapshotException($"{what}: '{text}' is not hex");
        }
    }
}
