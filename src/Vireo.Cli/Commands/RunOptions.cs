using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>The flags of `vireo run`.</summary>
internal sealed record RunOptions
{
    public const ulong MaxMemory = 1UL << 40;

    public string? Kernel { get; init; }

    public string? Initramfs { get; init; }

    public string? Cmdline { get; init; }

    public string? AppendCmdline { get; init; }

    public int Cpus { get; init; } = 1;

    public ulong MemoryBytes { get; init; } = 512UL << 20;

    /// <summary>memfd-backed RAM that device processes can map, instead of private huge pages.</summary>
    public bool SharedMemory { get; init; }

    public SerialTarget Serial { get; init; } = SerialTarget.Stdio;

    public string? ApiSocket { get; init; }

    public TimeSpan? S2IdleWakeAfter { get; init; }

    public string? OnSuspend { get; init; }

    public string? OnResume { get; init; }

    /// <summary>Firecracker's convention by default: a guest reboot ends the run.</summary>
    public bool RestartOnReboot { get; init; }

    public static RunOptions Parse(ArgReader reader)
    {
        string? memoryText = reader.Option("--memory");
        ulong memory = 512UL << 20;
        if (memoryText is not null && (!SizeParser.TryParse(memoryText, out memory) || memory < (16UL << 20) || memory > MaxMemory || memory % (2UL << 20) != 0))
        {
            throw new UsageException($"--memory takes a size from 16M to 1T in whole 2 MiB steps (e.g. 512M, 2G), not '{memoryText}'");
        }
        string? serialText = reader.Option("--serial");
        SerialTarget serial = serialText is null ? SerialTarget.Stdio : SerialTarget.Parse(serialText);
        var options = new RunOptions
        {
            Kernel = reader.Option("--kernel"),
            Initramfs = reader.Option("--initramfs"),
            Cmdline = reader.Option("--cmdline"),
            AppendCmdline = reader.Option("--append"),
            Cpus = (int)reader.UInt("--cpus", 1, 1, 254),
            MemoryBytes = memory,
            SharedMemory = reader.Flag("--shared-memory"),
            Serial = serial,
            ApiSocket = reader.Option("--api-socket"),
            S2IdleWakeAfter = reader.Option("--s2idle-wake-after") is string after
                ? TimeSpan.FromMilliseconds(ParseMilliseconds(after))
                : null,
            OnSuspend = reader.Option("--on-suspend"),
            OnResume = reader.Option("--on-resume"),
            RestartOnReboot = reader.Option("--on-reboot") switch
            {
                null or "exit" => false,
                "restart" => true,
                string other => throw new UsageException($"--on-reboot takes exit or restart, not '{other}'"),
            },
        };
        if (options.Kernel is null && options.Initramfs is not null)
        {
            throw new UsageException("--initramfs needs --kernel");
        }
        return options;
    }

    /// <summary>A duration as "500ms", "2s" or plain seconds.</summary>
    private static double ParseMilliseconds(string text)
    {
        string t = text.Trim();
        double scale = 1000;
        if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 1;
            t = t[..^2];
        }
        else if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        return double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= 86_400
            ? value * scale
            : throw new UsageException($"--s2idle-wake-after takes a duration such as 500ms or 2s, not '{text}'");
    }

    public LinuxVmConfig ToConfig(string kernel, string? initramfs) => new()
    {
        KernelPath = kernel,
        InitramfsPath = initramfs,
        Cmdline = (Cmdline ?? LinuxVmConfig.DefaultCmdline) + (AppendCmdline is null ? "" : " " + AppendCmdline),
        Cpus = Cpus,
        MemoryBytes = MemoryBytes,
        MemoryBacking = SharedMemory ? Vireo.Memory.GuestMemoryBacking.Shared : Vireo.Memory.GuestMemoryBacking.Private,
    };

    /// <summary>The same options as command-line words, minus kernel/initramfs/serial, for
    /// forwarding into the lab.</summary>
    public IEnumerable<string> ForwardedArguments()
    {
        if (Cmdline is not null)
        {
            yield return "--cmdline";
            yield return Cmdline;
        }
        if (AppendCmdline is not null)
        {
            yield return "--append";
            yield return AppendCmdline;
        }
        yield return "--cpus";
        yield return Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--memory";
        yield return $"{MemoryBytes >> 20}M";
        if (SharedMemory)
        {
            yield return "--shared-memory";
        }
        if (S2IdleWakeAfter is TimeSpan after)
        {
            yield return "--s2idle-wake-after";
            yield return $"{after.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}ms";
        }
        if (RestartOnReboot)
        {
            yield return "--on-reboot";
            yield return "restart";
        }
        // The hooks run where that vireo runs: inside L1, as the guest's host there.
        if (OnSuspend is not null)
        {
            yield return "--on-suspend";
            yield return OnSuspend;
        }
        if (OnResume is not null)
        {
            yield return "--on-resume";
            yield return OnResume;
        }
    }
}
