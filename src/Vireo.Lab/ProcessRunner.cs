using System.Diagnostics;
using System.Text;

namespace Vireo.Lab;

/// <summary>Runs helper programs to completion. Output can be forwarded line by line while it
/// runs (both streams, or stderr alone), so a long apt-get or build shows progress instead of
/// going quiet.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(
        string program,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        Action<string>? onOutputLine = null,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStandardError = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Collect(stdout, e.Data, onOutputLine);
        process.ErrorDataReceived += (_, e) => Collect(stderr, e.Data, onStandardError ?? onOutputLine);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabException($"cannot run {program}: {e.Message}", e);
        }
        // No helper here reads stdin; closing it makes any prompt fail instead of hanging.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Without a timeout this also waits for both output streams to drain.
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static void Collect(StringBuilder sink, string? line, Action<string>? onOutputLine)
    {
        if (line is null)
        {
            return;
        }
        lock (sink)
        {
            sink.Append(line).Append('\n');
        }
        onOutputLine?.Invoke(line);
    }

    public static bool IsRoot => GetEffectiveUserId() == 0;

    private static int GetEffectiveUserId()
    {
        // /proc/self/status "Uid: real effective saved fs"; avoids a libc call for one number.
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 2 && int.TryParse(fields[2], out int euid) ? euid : -1;
            }
        }
        return -1;
    }

    public static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
