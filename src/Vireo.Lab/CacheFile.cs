namespace Vireo.Lab;

/// <summary>
/// Files the lab builds into its cache appear whole or not at all: each is written under a
/// temporary name of its own and renamed into place. The name is unique per writer, not per
/// path: the lab fixtures of one test process prepare their L1s in parallel and may build the
/// same guest at once, and a shared "path.tmp" let one writer truncate or move the other's file.
/// </summary>
internal static class CacheFile
{
    private static int s_writers;

    /// <summary>A temporary name beside <paramref name="path"/> that no other writer, in this
    /// process or another, is using.</summary>
    public static string TemporaryFor(string path) =>
        $"{path}.{Environment.ProcessId}-{Interlocked.Increment(ref s_writers)}.tmp";

    /// <summary>Makes <paramref name="path"/> by <paramref name="write"/> on a temporary name, then
    /// renames it into place (replacing what a concurrent writer put there: both built the same
    /// content). The temporary file is removed if <paramref name="write"/> fails.</summary>
    public static void Write(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temporary = TemporaryFor(path);
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary><see cref="Write(string, Action{string})"/> through a stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, (string temporary) =>
        {
            using FileStream file = File.Create(temporary);
            write(file);
        });
    }
}
