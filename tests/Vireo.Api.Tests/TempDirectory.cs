namespace Vireo.Api.Tests;

/// <summary>A short-named temp directory (socket paths are limited to 107 bytes), removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vireo-api-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string SocketPath => System.IO.Path.Combine(Path, "api.sock");

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
