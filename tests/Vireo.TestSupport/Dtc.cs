using System.Diagnostics;

namespace Vireo.TestSupport;

/// <summary>The device tree compiler as an oracle nobody here wrote: decodes our blobs to DTS and
/// compiles DTS written by hand, so a tree is compared as dtc understands it.</summary>
public static class Dtc
{
    /// <summary>What one dtc run printed.</summary>
    public sealed record Result(int Status, byte[] Output, string Errors)
    {
        /// <summary>The output as text (DTS).</summary>
        public string Text => System.Text.Encoding.UTF8.GetString(Output);
    }

    /// <summary>Decodes <paramref name="dtb"/> to DTS (<c>dtc -I dtb -O dts</c>), failing the test
    /// when dtc refuses it.</summary>
    public static Result Decompile(byte[] dtb, params IEnumerable<string> extraArgs)
    {
        Result result = Run(dtb, ["-I", "dtb", "-O", "dts", .. extraArgs]);
        if (result.Status != 0)
        {
            throw new InvalidOperationException($"dtc -I dtb refused the blob (status {result.Status}): {result.Errors}");
        }
        return result;
    }

    /// <summary>Compiles <paramref name="dts"/> to a blob (<c>dtc -I dts -O dtb</c>).</summary>
    public static byte[] Compile(string dts)
    {
        Result result = Run(System.Text.Encoding.UTF8.GetBytes(dts), ["-I", "dts", "-O", "dtb"]);
        if (result.Status != 0)
        {
            throw new InvalidOperationException($"dtc -I dts refused the source (status {result.Status}): {result.Errors}");
        }
        return result.Output;
    }

    /// <summary>Runs dtc with <paramref name="args"/> on <paramref name="input"/> (its stdin, "-").</summary>
    public static Result Run(byte[] input, params IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(HostCapabilities.FindOnPath("dtc") ?? "dtc")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("-");
        start.ArgumentList.Add("-");
        using Process process = Process.Start(start)!;
        using var output = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        Task<string> errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new TimeoutException("dtc ran past 30 s");
        }
        copy.Wait();
        return new Result(process.ExitCode, output.ToArray(), errors.Result);
    }
}
