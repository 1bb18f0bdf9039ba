using System.Diagnostics;

namespace Vireo.Lab.Tests;

/// <summary>Runs a host program for a test and returns its output; a failure fails the test
/// with the program's stderr.</summary>
internal static class Tool
{
    public static string Run(string program, string arguments, string? workingDirectory = null, string? stdinFile = null)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(stdinFile is null ? $"{program} {arguments}" : $"{program} {arguments} < '{stdinFile}'");
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {arguments} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
