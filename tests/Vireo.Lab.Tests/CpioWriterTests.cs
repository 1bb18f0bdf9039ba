using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

public sealed class CpioWriterTests
{
    [Fact]
    public void Single_file_archive_is_byte_exact()
    {
        var output = new MemoryStream();
        using (var cpio = new CpioWriter(output, leaveOpen: true))
        {
            cpio.AddFile("a", "hi"u8, mode: 0x1A4);
        }

        // newc: magic, then ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
        // rdevminor namesize check, 8 hex digits each; name and data padded to 4 bytes.
        string expected =
            "070701" + "00000001" + "000081A4" + "00000000" + "00000000" + "00000001" + "00000000" + "00000002" +
            "00000000" + "00000000" + "00000000" + "00000000" + "00000002" + "00000000" + "a\0" + "hi\0\0" +
            "070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" +
            "00000000" + "00000000" + "00000000" + "00000000" + "0000000B" + "00000000" + "TRAILER!!!\0" + "\0\0\0";
        Assert.Equal(expected, Encoding.ASCII.GetString(output.ToArray()));
        Assert.Equal(0, output.Length % 4);
    }

    [Fact]
    public void Appending_to_an_initramfs_keeps_it_whole_and_adds_a_gzipped_archive_after_it()
    {
        using var temp = new TempDirectory();
        string first = temp.Combine("first.cpio.gz");
        byte[] original = [0x1f, 0x8b, 1, 2, 3, 4, 5];
        File.WriteAllBytes(first, original);

        byte[] joined = CpioWriter.AppendToInitramfs(first, cpio => cpio.AddFile("bin/tool", "hi"u8, 0x1ED));

        Assert.Equal(original, joined[..original.Length]);
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(joined[original.Length..]), System.IO.Compression.CompressionMode.Decompress);
        var second = new MemoryStream();
        gzip.CopyTo(second);
        var expected = new MemoryStream();
        using (var cpio = new CpioWriter(expected, leaveOpen: true))
        {
            cpio.AddFile("bin/tool", "hi"u8, 0x1ED);
        }
        Assert.Equal(expected.ToArray(), second.ToArray());
    }

    [Fact]
    public void Stream_and_span_files_write_the_same_bytes()
    {
        byte[] contents = Enumerable.Range(0, 1001).Select(i => (byte)i).ToArray();
        var fromSpan = new MemoryStream();
        using (var cpio = new CpioWriter(fromSpan, leaveOpen: true))
        {
            cpio.AddFile("f", contents);
        }
        var fromStream = new MemoryStream();
        using (var cpio = new CpioWriter(fromStream, leaveOpen: true))
        {
            cpio.AddFile("f", new MemoryStream(contents));
        }
        Assert.Equal(fromSpan.ToArray(), fromStream.ToArray());
    }

    [Fact]
    public void Duplicate_and_reserved_names_are_refused()
    {
        using var cpio = new CpioWriter(new MemoryStream());
        cpio.AddDirectory("bin");
        Assert.Throws<ArgumentException>(() => cpio.AddDirectory("/bin/"));
        Assert.Throws<ArgumentException>(() => cpio.AddFile("TRAILER!!!", "x"u8));
        Assert.Throws<ArgumentException>(() => cpio.AddFile("/", "x"u8));
    }

    // GNU cpio is the oracle: it must list the entries in order and extract the same bytes,
    // modes and link targets, for every padding case (name and data lengths mod 4).
    [LabFact("cpio")]
    public void Gnu_cpio_lists_and_extracts_what_was_written()
    {
        HostPackages.EnsureInstalled(["cpio"]);
        using var temp = new TempDirectory();
        var files = new Dictionary<string, byte[]>
        {
            ["etc/empty"] = [],
            ["etc/one"] = "1"u8.ToArray(),
            ["etc/two2"] = "22"u8.ToArray(),
            ["etc/three"] = "333"u8.ToArray(),
            ["etc/four4444"] = "4444"u8.ToArray(),
            ["etc/deep/nested/five"] = "55555"u8.ToArray(),
            ["bin/large"] = Enumerable.Range(0, 70_001).Select(i => (byte)(i * 7)).ToArray(),
        };
        string archive = temp.Combine("test.cpio");
        using (var cpio = new CpioWriter(File.Create(archive)))
        {
            cpio.AddDirectory("bin");
            cpio.AddDirectory("etc");
            cpio.AddDirectory("etc/deep");
            cpio.AddDirectory("etc/deep/nested", mode: 0x1C0 /* 0700 */);
            foreach ((string name, byte[] contents) in files)
            {
                cpio.AddFile(name, contents, name == "bin/large" ? 0x1EDu /* 0755 */ : 0x1A4u);
            }
            cpio.AddSymlink("bin/sh", "busybox");
            cpio.AddCharDevice("dev-console", 5, 1);
        }

        string[] listed = Tool.Run("cpio", "-t --quiet", stdinFile: archive).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected = ["bin", "etc", "etc/deep", "etc/deep/nested", .. files.Keys, "bin/sh", "dev-console"];
        Assert.Equal(expected, listed);

        string verbose = Tool.Run("cpio", "-tv --quiet", stdinFile: archive);
        Assert.Contains(verbose.Split('\n'), line => line.StartsWith("crw-------", StringComparison.Ordinal) && line.Contains("5,", StringComparison.Ordinal) && line.EndsWith("dev-console", StringComparison.Ordinal));
        Assert.Contains(verbose.Split('\n'), line => line.StartsWith("lrwxrwxrwx", StringComparison.Ordinal) && line.EndsWith("bin/sh -> busybox", StringComparison.Ordinal));

        string extracted = temp.Combine("out");
        Directory.CreateDirectory(extracted);
        // Extract everything but the device node (mknod needs privileges a test should not assume).
        Tool.Run("cpio", "-id --quiet --no-absolute-filenames -f 'dev-*'", extracted, archive);
        foreach ((string name, byte[] contents) in files)
        {
            Assert.Equal(contents, File.ReadAllBytes(Path.Combine(extracted, name)));
        }
        Assert.Equal("busybox", new FileInfo(Path.Combine(extracted, "bin/sh")).LinkTarget);
        Assert.True(File.GetUnixFileMode(Path.Combine(extracted, "bin/large")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(Path.Combine(extracted, "etc/one")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.Combine(extracted, "etc/deep/nested")));
    }
}
