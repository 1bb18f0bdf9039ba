namespace Vireo.TestSupport;

/// <summary>The ABI a <see cref="CLayoutOracle"/> probe is compiled for: this host's (gcc over
/// /usr/include), or arm64's (Debian's aarch64-linux-gnu-gcc, run under qemu-aarch64), where the
/// kernel's uAPI headers come from a newer linux-libc-dev than bookworm's (tools/kernel-headers.sh
/// fetches it; the SMCCC filter needs Linux 6.4's headers).</summary>
public sealed class CTarget
{
    private readonly string _compiler;
    private readonly string? _runner;
    private readonly bool _newerUapi;

    private CTarget(string name, string compiler, string? runner, bool newerUapi)
    {
        Name = name;
        _compiler = compiler;
        _runner = runner;
        _newerUapi = newerUapi;
    }

    /// <summary>This machine: gcc, its own headers, the probe run directly.</summary>
    public static CTarget Host { get; } = new("this host", "gcc", null, newerUapi: false);

    /// <summary>arm64 (AArch64 Linux, LP64): the cross compiler links the probe statically and
    /// QEMU's user-mode emulator runs it.</summary>
    public static CTarget Aarch64 { get; } = new("arm64", "aarch64-linux-gnu-gcc", "qemu-aarch64", newerUapi: true);

    public string Name { get; }

    /// <summary>The include directory of the newer uAPI headers: $VIREO_UAPI_INCLUDE, else where
    /// tools/kernel-headers.sh puts them ($VIREO_CACHE, $XDG_CACHE_HOME/vireo or ~/.cache/vireo,
    /// then uapi/current/usr/include).</summary>
    public static string UapiInclude()
    {
        if (Environment.GetEnvironmentVariable("VIREO_UAPI_INCLUDE") is { Length: > 0 } overridden)
        {
            return overridden;
        }
        string? cache = Environment.GetEnvironmentVariable("VIREO_CACHE");
        if (string.IsNullOrEmpty(cache))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string baseDir = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            cache = Path.Combine(baseDir, "vireo");
        }
        return Path.Combine(cache, "uapi", "current", "usr", "include");
    }

    /// <summary>Why a probe for this target cannot be built and run here (naming the fix), or
    /// null when it can.</summary>
    public string? Missing()
    {
        if (HostCapabilities.FindOnPath(_compiler) is null)
        {
            return $"{_compiler} is not on PATH (Debian: apt-get install {(_runner is null ? "gcc libc6-dev" : "gcc-aarch64-linux-gnu libc6-dev-arm64-cross")})";
        }
        if (_runner is not null && HostCapabilities.FindOnPath(_runner) is null)
        {
            return $"{_runner} is not on PATH (Debian: apt-get install qemu-user)";
        }
        if (_newerUapi && !Directory.Exists(Path.Combine(UapiInclude(), "aarch64-linux-gnu", "asm")))
        {
            return $"no arm64 uAPI headers at {UapiInclude()} (run tools/kernel-headers.sh)";
        }
        return null;
    }

    internal string? CompilerPath() => HostCapabilities.FindOnPath(_compiler);

    internal string? RunnerPath() => _runner is null ? null : HostCapabilities.FindOnPath(_runner);

    internal IReadOnlyList<string> CompilerArguments()
    {
        if (!_newerUapi)
        {
            return [];
        }
        // The newer uAPI headers first (their arch directory, then the generic ones); glibc's
        // own headers still come from the cross toolchain.
        string include = UapiInclude();
        return ["-static", "-isystem", Path.Combine(include, "aarch64-linux-gnu"), "-isystem", include];
    }
}
