namespace Vireo.Lab;

/// <summary>A Debian package downloaded into a private work directory, unpacked there (dpkg -x),
/// marked ready and only then moved into its place in the lab cache: a directory with the ready
/// marker is complete, one without it was left half-done by an interrupted run. Used for the
/// stock kernels (<see cref="StockKernel"/>) and other architectures' packages
/// (<see cref="ForeignPackages"/>).</summary>
internal static class DebUnpacker
{
    /// <summary>The file in an unpacked package's directory that says the unpack finished; it
    /// holds the .deb's file name.</summary>
    public const string ReadyMarker = ".vireo-ready";

    private const string WorkPrefix = ".download-";

    private static int s_downloads;

    /// <summary>Whether <paramref name="root"/> holds a finished unpack.</summary>
    public static bool IsReady(string root) => File.Exists(Path.Combine(root, ReadyMarker));

    /// <summary>Runs <paramref name="download"/> in a fresh work directory under
    /// <paramref name="parent"/> (one per call: the lab fixtures of one process prepare their L1s
    /// in parallel and may fetch the same package at once), unpacks the .deb it leaves there and moves the
    /// tree to <paramref name="root"/>, replacing a half-done one; the work directory is removed
    /// either way. When another process finished the same package first, theirs is kept.</summary>
    /// <param name="parent">The cache directory that holds <paramref name="root"/>.</param>
    /// <param name="root">Where the unpacked package goes.</param>
    /// <param name="download">Downloads the package into the directory it is given (apt-get download).</param>
    /// <param name="downloadFailed">The message for a download that failed or left no .deb.</param>
    /// <exception cref="LabException">The download or dpkg -x failed.</exception>
    public static void DownloadAndUnpack(string parent, string root, Func<string, ProcessResult> download,
        Func<ProcessResult, string> downloadFailed)
    {
        RemoveDeadWorkDirectories(parent);
        string work = Path.Combine(parent, $"{WorkPrefix}{Environment.ProcessId}-{Interlocked.Increment(ref s_downloads)}");
        Directory.CreateDirectory(work);
        try
        {
            ProcessResult downloaded = download(work);
            string? deb = Directory.EnumerateFiles(work, "*.deb").FirstOrDefault();
            if (!downloaded.Succeeded || deb is null)
            {
                throw new LabException(downloadFailed(downloaded));
            }
            string tree = Path.Combine(work, "root");
            ProcessResult unpack = HostPackages.Run("dpkg", ["-x", deb, tree]);
            if (!unpack.Succeeded)
            {
                throw new LabException($"dpkg -x {deb} failed (exit {unpack.ExitCode}): {unpack.Tail()}");
            }
            File.WriteAllText(Path.Combine(tree, ReadyMarker), Path.GetFileName(deb) + "\n");
            if (Directory.Exists(root) && !IsReady(root))
            {
                Directory.Delete(root, recursive: true); // left half-done by an interrupted run
            }
            try
            {
                Directory.Move(tree, root);
            }
            catch (IOException) when (IsReady(root))
            {
                // Another process unpacked the same package first; theirs is as good.
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // Work directories are named .download-PID-N (.download-PID before); one whose process is
    // gone was left by a run that was killed, and no one else will remove it.
    private static void RemoveDeadWorkDirectories(string parent)
    {
        if (!Directory.Exists(parent))
        {
            return;
        }
        foreach (string directory in Directory.EnumerateDirectories(parent, WorkPrefix + "*"))
        {
            string name = Path.GetFileName(directory)[WorkPrefix.Length..];
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (!int.TryParse(dash < 0 ? name : name[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process is removing it too, or it is not ours to remove: leave it.
            }
        }
    }
}
