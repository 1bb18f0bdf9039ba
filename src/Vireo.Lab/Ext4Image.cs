using System.Globalization;

namespace Vireo.Lab;

/// <summary>An ext4 image made from a directory tree by e2fsprogs' <c>mkfs.ext4 -d</c>, which
/// needs no root: the default guest's root disk and the disk that carries the KVM unit tests
/// into L1.</summary>
internal static class Ext4Image
{
    /// <summary>Writes <paramref name="image"/> (replacing it), <paramref name="sizeBytes"/> long
    /// and labelled <paramref name="label"/>, holding the tree under <paramref name="contents"/>;
    /// <paramref name="options"/> go to mkfs.ext4 as well, and <paramref name="what"/> names the
    /// disk in an error.</summary>
    /// <exception cref="LabException">mkfs.ext4 is missing or failed.</exception>
    public static void Write(string image, string contents, string label, long sizeBytes, IReadOnlyList<string> options, string what)
    {
        string mkfs = ProcessRunner.FindOnPath("mkfs.ext4")
            ?? throw new LabException("mkfs.ext4 is missing: install e2fsprogs (apt-get install e2fsprogs)");
        File.Delete(image);
        ProcessResult made = ProcessRunner.Run(mkfs,
        [
            "-q", "-F", "-L", label, "-d", contents, .. options,
            image, (sizeBytes >> 10).ToString(CultureInfo.InvariantCulture) + "k",
        ]);
        if (!made.Succeeded)
        {
            throw new LabException($"mkfs.ext4 could not build {what} {image}:\n{made.Tail()}");
        }
    }
}
