namespace Vireo.Lab;

/// <summary>Where downloaded packages and built lab images are kept: $VIREO_CACHE, else
/// ~/.cache/vireo (XDG_CACHE_HOME honoured).</summary>
public sealed class LabCache
{
    /// <summary>The environment variable that overrides the cache directory.</summary>
    public const string EnvironmentVariable = "VIREO_CACHE";

    /// <summary>A cache rooted at <paramref name="root"/>, made absolute; nothing is created yet.</summary>
    public LabCache(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache's absolute directory.</summary>
    public string Root { get; }

    /// <summary>$VIREO_CACHE if set, else $XDG_CACHE_HOME/vireo, else ~/.cache/vireo.</summary>
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
