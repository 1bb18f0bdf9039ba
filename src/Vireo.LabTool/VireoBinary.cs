using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>Finds the NativeAOT `vireo` the lab copies into L1 (it needs only libc there, which
/// a framework-dependent build would not), building it in a source checkout when stale.</summary>
internal static class VireoBinary
{
    public const string EnvironmentVariable = "VIREO_BINARY";

    /// <summary>In order: <paramref name="explicitPath"/> (--vireo), $VIREO_BINARY, a `vireo`
    /// beside this program (an installed pair), then the checkout's tools/vireo.sh, which
    /// publishes artifacts/vireo/vireo when sources changed; its progress goes to
    /// <paramref name="progress"/>.</summary>
    public static string Locate(string? explicitPath, TextWriter progress, string? searchFrom = null)
    {
        string? given = explicitPath ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (given is not null)
        {
            return RequireNative(Path.GetFullPath(given));
        }
        string beside = Path.Combine(AppContext.BaseDirectory, "vireo");
        if (File.Exists(beside) && IsNative(beside))
        {
            return beside;
        }
        string? root = RepositoryRoot(searchFrom ?? AppContext.BaseDirectory) ?? RepositoryRoot(Environment.CurrentDirectory);
        if (root is null)
        {
            throw new LabException(
                $"no NativeAOT vireo to copy into the lab: pass --vireo PATH or set {EnvironmentVariable} " +
                "(build one with `dotnet publish src/Vireo.Cli -c Release -r linux-x64 -p:PublishAot=true -o out`)");
        }
        return BuildInCheckout(root, progress);
    }

    /// <summary>A NativeAOT program is one ELF file; a framework-dependent build is a small
    /// apphost beside its .dll and runtimeconfig, which cannot run in L1 without .NET.</summary>
    public static bool IsNative(string path) =>
        File.Exists(path) && ElfFile.IsElf(path)
        && !File.Exists(path + ".dll") && !File.Exists(path + ".runtimeconfig.json");

    internal static string? RepositoryRoot(string start)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vireo.slnx")) && File.Exists(Path.Combine(dir.FullName, "tools", "vireo.sh")))
            {
                return dir.FullName;
            }
        }
        return null;
    }

    private static string RequireNative(string path)
    {
        if (!File.Exists(path))
        {
            throw new LabException($"the vireo binary {path} does not exist");
        }
        if (!IsNative(path))
        {
            throw new LabException(
                $"{path} is not a NativeAOT vireo (the lab copies it into L1, which has no .NET); " +
                "publish one with `dotnet publish src/Vireo.Cli -c Release -r linux-x64 -p:PublishAot=true -o out` or use tools/vireo.sh");
        }
        return path;
    }

    private static string BuildInCheckout(string root, TextWriter progress)
    {
        string script = Path.Combine(root, "tools", "vireo.sh");
        // --build-only prints the binary's path on stdout; its build progress goes to stderr.
        ProcessResult result = ProcessRunner.Run(script, ["--build-only"], onStandardError: line => progress.WriteLine(line));
        string path = result.StandardOutput.Trim();
        if (!result.Succeeded || path.Length == 0)
        {
            throw new LabException($"{script} --build-only failed (exit {result.ExitCode}); the NativeAOT vireo could not be built:\n{result.Tail()}");
        }
        return RequireNative(path);
    }
}
