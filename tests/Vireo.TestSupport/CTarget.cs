using System.Runtime.InteropServices;

namespace Vireo.TestSupport;

/// <summary>The ABI a <see cref="CLayoutOracle"/> probe is compiled for: this host's (gcc over
/// /usr/include, or over the newer uAPI headers), or arm64's (Debian's aarch64-linux-gnu-gcc, run
/// under qemu-aarch64). The newer uAPI headers are a newer linux-libc-dev than bookworm's
/// (tools/kernel-headers.sh fetches it): the SMCCC filter needs Linux 6.4's headers, iommufd and
/// the VFIO cdev requests 6.6's.</summary>
public sealed class CTarget
{
    private readonly string _compiler;
    private readonly string? _runner;
    // The multiarch directory of the newer uAPI headers that holds this target's asm/, or null
    // for the compiler's own headers.
    private readonly string? _uapiArch;
    private readonly bool _static;

    private CTarget(string name, string compiler, string? runner, string? uapiArch, bool linkStatic)
    {
        Name = name;
        _compiler = compiler;
        _runner = runner;
        _uapiArch = uapiArch;
        _static = linkStatic;
    }

    /// <summary>This machine: gcc, its own headers, the probe run directly.</summary>
    public static CTarget Host { get; } = new("this host", "gcc", null, uapiArch: null, linkStatic: false);

    /// <summary>This machine's ABI with the newer uAPI headers in front of gcc's own (glibc's
    /// headers still come from the host), the probe run directly.</summary>
    public static CTarget HostNewerUapi { get; } = new(
        "this host with newer uAPI headers", "gcc", null,
        uapiArch: RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu",
        linkStatic: false);

    /// <summary>arm64 (AArch64 Linux, LP64): the cross compiler links the probe statically and
    /// QEMU's user-mode emulator runs it.</summary>
    public static CTarget Aarch64 { get; } = new("arm64", "aarch64-linux-gnu-gcc", "qemu-aarch64", uapiArch: "aarch64-linux-gnu", linkStatic: true);

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
        if (_uapiArch is not null && !Directory.Exists(Path.Combine(UapiInclude(), _uapiArch, "asm")))
        {
            return $"no {_uapiArch} uAPI headers at {UapiInclude()} (run tools/kernel-headers.sh)";
        }
        return null;
    }

    /// <summary>Whether <paramref name="cSource"/> compiles (syntax and types only) for this
    /// target: how a test asks whether its headers declare something.</summary>
    public bool Compiles(string cSource)
    {
        ArgumentNullException.ThrowIfNull(cSource);
        return Missing() is null
            && CLayoutOracle.RunCaptured(CompilerPath()!, [.. IncludeArguments(), "-fsyntax-only", "-x", "c", "-"], cSource).ExitCode == 0;
    }

    internal string? CompilerPath() => HostCapabilities.FindOnPath(_compiler);

    internal string? RunnerPath() => _runner is null ? null : HostCapabilities.FindOnPath(_runner);

    internal IReadOnlyList<string> CompilerArguments() => _static ? ["-static", .. IncludeArguments()] : IncludeArguments();

    // The newer uAPI headers first (their arch directory, then the generic ones); glibc's own
    // headers still come from the toolchain.
    private IReadOnlyList<string> IncludeArguments() => _uapiArch is null
        ? []
        : ["-isystem", Path.Combine(UapiInclude(), _uapiArch), "-isystem", UapiInclude()];
}
