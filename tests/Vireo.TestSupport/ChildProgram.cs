using System.Diagnostics;

namespace Vireo.TestSupport;

/// <summary>One of the project's programs (vireo.dll, vireo-device.dll, copied beside the test
/// assembly) run as a child process by `dotnet`, for tests of what only a separate process shows:
/// exit statuses, signals, process-wide state such as a seccomp filter.</summary>
public static class ChildProgram
{
    /// <summary>Starts <paramref name="assembly"/> (a file name beside the test assembly) with
    /// <paramref name="args"/>, its output and error redirected.</summary>
    public static Process Start(string assembly, params IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start)!;
    }

    /// <summary>Runs <paramref name="assembly"/> to its end and returns its status and output; one
    /// still running after <paramref name="timeout"/> is killed and the wait throws.</summary>
    public static async Task<(int Status, string Stdout, string Stderr)> RunAsync(string assembly, TimeSpan timeout, params IEnumerable<string> args)
    {
        using Process process = Start(assembly, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
