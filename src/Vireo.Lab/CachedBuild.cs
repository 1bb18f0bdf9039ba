using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// A program the lab compiles from sources embedded in Vireo.Lab (the device benchmark's tool,
/// the SDEI conformance guest) into the cache's tools directory: once per version of the sources
/// and the flags, named by their hash, written under a temporary name and moved into place so a
/// half-built file is never taken for a built one.
/// </summary>
internal static class CachedBuild
{
    /// <summary>The embedded resource <paramref name="name"/>'s bytes.</summary>
    public static byte[] Resource(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in Vireo.Lab");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Returns <c>tools/NAME-HASH</c> in <paramref name="cache"/>, building it first if it is not
    /// there: <paramref name="sources"/> are written into a scratch directory and
    /// <paramref name="build"/> runs there with the path to write (it throws a
    /// <see cref="LabException"/> naming what failed). <paramref name="key"/> (the flags) is part of the hash.
    /// </summary>
    public static string Get(LabCache cache, string name, IReadOnlyList<(string File, byte[] Content)> sources, string key,
        Action<string, string> build)
    {
        ArgumentNullException.ThrowIfNull(cache);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string file, byte[] content) in sources)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file));
            hash.AppendData(content);
        }
        hash.AppendData(Encoding.UTF8.GetBytes(key));
        string output = Path.Combine(cache.Directory("tools"), $"{name}-{Convert.ToHexStringLower(hash.GetHashAndReset())[..12]}");
        if (File.Exists(output))
        {
            return output;
        }
        string temp = Directory.CreateTempSubdirectory($"vireo-{name}-").FullName;
        try
        {
            foreach ((string file, byte[] content) in sources)
            {
                File.WriteAllBytes(Path.Combine(temp, file), content);
            }
            CacheFile.Write(output, (string temporary) => build(temp, temporary));
            return output;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
