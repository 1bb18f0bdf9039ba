namespace Vireo.Lab;

/// <summary>Where downloaded packages and built lab images are kept: $VIREO_CACHE, else
/// ~/.cache/vireo (XDG_CACHE_HOME honoured).</summary>
public sealed class LabCache
{
    public const string EnvironmentVariable = "VIREO_CACHE";

    public LabCache(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public static LabCache Default()
    {
        string? overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return new LabCache(overridden);
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string baseDir = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return new LabCache(Path.Combine(baseDir, "vireo"));
    }

    /// <summary>A subdirectory of the cache, created if missing.</summary>
    public string Directory(string name)
    {
        string path = Path.Combine(Root, name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
