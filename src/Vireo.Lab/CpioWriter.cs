using System.Globalization;
using System.Text;

namespace Vireo.Lab;

/// <summary>Writes a cpio archive in the "newc" format, the one the Linux kernel unpacks as an
/// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst). Entries are
/// written in the order added, so a directory must come before what it holds; names are
/// relative ("bin/busybox", not "/bin/busybox").</summary>
public sealed class CpioWriter : IDisposable
{
    // buffer-format.rst: "070701", then 13 fields of 8 ASCII hex digits.
    private const string NewcMagic = "070701";
    private const int HeaderLength = 110;
    private const string TrailerName = "TRAILER!!!";

    // stat(2) file type bits (linux/stat.h).
    private const uint TypeDirectory = 0x4000; // S_IFDIR 0040000
    private const uint TypeRegular = 0x8000;   // S_IFREG 0100000
    private const uint TypeSymlink = 0xA000;   // S_IFLNK 0120000
    private const uint TypeCharDevice = 0x2000; // S_IFCHR 0020000
    private const uint PermissionMask = 0xFFF; // 07777

    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private uint _nextInode = 1;
    private long _position;
    private bool _finished;

    /// <summary>Writes an archive to <paramref name="output"/>; call <see cref="Finish"/> or dispose to end it.</summary>
    /// <param name="output">Where the archive goes; it need not be seekable.</param>
    /// <param name="leaveOpen">Keep <paramref name="output"/> open after dispose.</param>
    public CpioWriter(Stream output, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Timestamp written into every entry; fixed by default so archives are reproducible.</summary>
    public DateTimeOffset ModificationTime { get; set; } = DateTimeOffset.UnixEpoch;

    /// <summary>Whether an entry of that name (normalised, without a leading slash) was added.</summary>
    public bool Contains(string name) => _names.Contains(Normalize(name));

    /// <summary>Adds a directory entry.</summary>
    /// <param name="name">The relative path.</param>
    /// <param name="mode">The permission bits (0755 by default).</param>
    public void AddDirectory(string name, uint mode = 0x1ED /* 0755 */) =>
        WriteEntry(name, TypeDirectory | (mode & PermissionMask), nlink: 2, ReadOnlySpan<byte>.Empty);

    /// <summary>Adds a regular file with <paramref name="contents"/>.</summary>
    /// <param name="name">The relative path.</param>
    /// <param name="contents">The file's bytes.</param>
    /// <param name="mode">The permission bits (0644 by default).</param>
    public void AddFile(string name, ReadOnlySpan<byte> contents, uint mode = 0x1A4 /* 0644 */) =>
        WriteEntry(name, TypeRegular | (mode & PermissionMask), nlink: 1, contents);

    /// <summary>Adds a file whose contents are read from <paramref name="contents"/> to its end.</summary>
    public void AddFile(string name, Stream contents, uint mode = 0x1A4 /* 0644 */)
    {
        ArgumentNullException.ThrowIfNull(contents);
        long length = contents.Length - contents.Position;
        if (length > uint.MaxValue)
        {
            throw new ArgumentException($"{name}: newc stores sizes in 32 bits; {length} bytes is too large", nameof(contents));
        }
        WriteHeader(name, TypeRegular | (mode & PermissionMask), nlink: 1, (uint)length, rdevMajor: 0, rdevMinor: 0);
        long before = _position;
        contents.CopyTo(_output);
        _position += length;
        if (_position - before != length)
        {
            throw new IOException($"{name}: stream length changed while it was copied");
        }
        Pad();
    }

    /// <summary>Adds a symbolic link.</summary>
    /// <param name="name">The relative path of the link.</param>
    /// <param name="target">What the link points to, stored as is.</param>
    /// <param name="mode">The permission bits (0777 by default).</param>
    public void AddSymlink(string name, string target, uint mode = 0x1FF /* 0777 */) =>
        WriteEntry(name, TypeSymlink | (mode & PermissionMask), nlink: 1, Encoding.UTF8.GetBytes(target));

    /// <summary>Adds a character device node, such as dev/console (5, 1), which the kernel needs before /init runs.</summary>
    /// <param name="name">The relative path.</param>
    /// <param name="major">The device major number.</param>
    /// <param name="minor">The device minor number.</param>
    /// <param name="mode">The permission bits (0600 by default).</param>
    public void AddCharDevice(string name, uint major, uint minor, uint mode = 0x180 /* 0600 */)
    {
        WriteHeader(name, TypeCharDevice | (mode & PermissionMask), nlink: 1, size: 0, major, minor);
    }

    /// <summary>The gzip'd initramfs at <paramref name="initramfs"/> followed by a second gzip'd
    /// archive holding what <paramref name="addEntries"/> adds: the kernel unpacks the second over
    /// the first, so a guest image gets extra files without being rebuilt.</summary>
    /// <param name="initramfs">The host path of the first archive.</param>
    /// <param name="addEntries">Adds the second archive's entries (directories before what they hold).</param>
    public static byte[] AppendToInitramfs(string initramfs, Action<CpioWriter> addEntries)
    {
        ArgumentNullException.ThrowIfNull(addEntries);
        using var packed = new MemoryStream();
        using (FileStream first = File.OpenRead(initramfs))
        {
            first.CopyTo(packed);
        }
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        using (var cpio = new CpioWriter(gzip, leaveOpen: true))
        {
            addEntries(cpio);
            cpio.Finish();
        }
        return packed.ToArray();
    }

    /// <summary>Writes the trailer entry that ends the archive. Further entries are refused.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        WriteRaw(TrailerName, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, inode: 0);
        _finished = true;
        _output.Flush();
    }

    /// <summary>Writes the trailer if <see cref="Finish"/> has not, then closes the output unless it was to be left open.</summary>
    public void Dispose()
    {
        Finish();
        if (!_leaveOpen)
        {
            _output.Dispose();
        }
    }

    private void WriteEntry(string name, uint mode, uint nlink, ReadOnlySpan<byte> contents)
    {
        WriteHeader(name, mode, nlink, (uint)contents.Length, rdevMajor: 0, rdevMinor: 0);
        _output.Write(contents);
        _position += contents.Length;
        Pad();
    }

    private void WriteHeader(string name, uint mode, uint nlink, uint size, uint rdevMajor, uint rdevMinor)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        string normalized = Normalize(name);
        if (normalized.Length == 0 || normalized == TrailerName)
        {
            throw new ArgumentException($"'{name}' cannot name a cpio entry", nameof(name));
        }
        if (!_names.Add(normalized))
        {
            throw new ArgumentException($"'{normalized}' is already in the archive", nameof(name));
        }
        WriteRaw(normalized, mode, nlink, size, rdevMajor, rdevMinor, _nextInode++);
    }

    private void WriteRaw(string name, uint mode, uint nlink, uint size, uint rdevMajor, uint rdevMinor, uint inode)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        uint mtime = (uint)Math.Clamp(ModificationTime.ToUnixTimeSeconds(), 0, uint.MaxValue);
        var header = new StringBuilder(HeaderLength);
        header.Append(NewcMagic);
        foreach (uint field in (ReadOnlySpan<uint>)[
            inode, mode, 0 /* uid */, 0 /* gid */, nlink, mtime, size,
            0 /* devmajor */, 0 /* devminor */, rdevMajor, rdevMinor,
            (uint)nameBytes.Length + 1 /* namesize counts the NUL */, 0 /* check: only for "070702" */])
        {
            header.Append(field.ToString("X8", CultureInfo.InvariantCulture));
        }
        _output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _output.Write(nameBytes);
        _output.WriteByte(0);
        _position += HeaderLength + nameBytes.Length + 1;
        // The name is padded so that the data starts on a 4-byte boundary.
        Pad();
    }

    private void Pad()
    {
        int padding = (int)((4 - (_position % 4)) % 4);
        for (int i = 0; i < padding; i++)
        {
            _output.WriteByte(0);
        }
        _position += padding;
    }

    private static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.TrimStart('/').TrimEnd('/');
    }
}
