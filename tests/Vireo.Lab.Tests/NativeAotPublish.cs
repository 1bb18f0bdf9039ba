using System.Diagnostics;

namespace Vireo.Lab.Tests;

/// <summary>`dotnet publish` of a project in this checkout as the NativeAOT binary the lab ships
/// into L1. A second publish of the same project reuses its obj/ outputs, so a second fixture
/// pays little for its own copy.</summary>
internal static class NativeAotPublish
{
    // One publish at a time in this process: the x86-64 and arm64 lab fixtures start at once,
    // and a publish for one runtime identifier rewrites every project's obj/project.assets.json
    // (its restore) under the other's feet (CI saw NETSDK1047, "no target for net10.0/linux-x64").
    private static readonly SemaphoreSlim s_oneAtATime = new(1, 1);

    /// <summary>Publishes src/<paramref name="projectName"/> into <paramref name="output"/> for
    /// <paramref name="runtimeIdentifier"/> (linux-arm64 cross-compiles: clang links against
    /// the cross toolchain's arm64 glibc); returns the binary's path, or null and why not.</summary>
    public static (string? Binary, string? Failure, TimeSpan Took) Run(string projectName, string binaryName, string output,
        string runtimeIdentifier = "linux-x64")
    {
        s_oneAtATime.Wait();
        try
        {
            return RunAlone(projectName, binaryName, output, runtimeIdentifier);
        }
        finally
        {
            s_oneAtATime.Release();
        }
    }

    private static (string? Binary, string? Failure, TimeSpan Took) RunAlone(string projectName, string binaryName, string output, string runtimeIdentifier)
    {
        var clock = Stopwatch.StartNew();
        string project = Path.Combine(L1Fixture.RepositoryRoot(), "src", projectName);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No node reuse: a CI run once lost this publish to "child node exited prematurely" while
        // other builds ran on the machine; the test's build keeps its MSBuild nodes to itself.
        foreach (string argument in (string[])["publish", project, "-c", "Release", "-r", runtimeIdentifier,
            "-p:PublishAot=true", "-o", output, "-nologo", "-v", "quiet", "-nodeReuse:false"])
        {
            start.ArgumentList.Add(argument);
        }
        // The test host's MSBuild variables would point the child build at the wrong SDK parts.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string binary = Path.Combine(output, binaryName);
        if (process.ExitCode != 0 || !File.Exists(binary))
        {
            return (null, $"dotnet publish {project} exited {process.ExitCode}:\n{stdout}\n{stderr.Result}", clock.Elapsed);
        }
        return (binary, null, clock.Elapsed);
    }
}
