using System.Diagnostics;
using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

/// <summary>Whether gcc sees a linux/iommufd.h and a linux/vfio.h with the cdev requests (Linux
/// 6.6+ uAPI headers). Debian bookworm's linux-libc-dev (6.1) has neither; C_INCLUDE_PATH can
/// point gcc at newer headers, and the iommufd layout tests then run against them.</summary>
internal static class IommufdHeaders
{
    private static readonly Lazy<bool> s_present = new(Probe);

    public static bool Present => s_present.Value;

    private static bool Probe()
    {
        string? gcc = HostCapabilities.FindOnPath("gcc");
        if (gcc is null)
        {
            return false;
        }
        var start = new ProcessStartInfo(gcc)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-fsyntax-only", "-x", "c", "-" })
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        process.StandardInput.Write("#include <linux/vfio.h>\n#include <linux/iommufd.h>\n#ifndef VFIO_DEVICE_BIND_IOMMUFD\n#error no cdev requests\n#endif\n");
        process.StandardInput.Close();
        _ = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
