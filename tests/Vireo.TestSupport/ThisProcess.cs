using System.Globalization;
using Vireo.Sys;

namespace Vireo.TestSupport;

/// <summary>What the kernel says about the test process itself, for tests that check identity
/// (SO_PEERCRED, an agent's policy) or count descriptors for leaks.</summary>
public static class ThisProcess
{
    /// <summary>The effective user id: the third field of /proc/self/status's "Uid:" line.</summary>
    public static uint EffectiveUid()
        => uint.Parse(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);

    /// <summary>How many descriptors the process has open now.</summary>
    public static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>The first bytes (up to 4 KiB) of the file behind <paramref name="fd"/>, as UTF-8,
    /// read at offset 0: which file a passed descriptor really is.</summary>
    public static string ReadText(SafeFd fd)
    {
        byte[] buffer = new byte[4096];
        return System.Text.Encoding.UTF8.GetString(buffer, 0, FileDescriptor.ReadAt(fd, 0, buffer));
    }
}
