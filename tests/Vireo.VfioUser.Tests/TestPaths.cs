namespace Vireo.VfioUser.Tests;

internal static class TestPaths
{
    /// <summary>A fresh socket path short enough for sun_path (108 bytes).</summary>
    public static string Socket() => Path.Combine("/tmp", $"vvu-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}.sock");
}
