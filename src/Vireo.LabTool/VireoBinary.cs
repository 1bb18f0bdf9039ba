using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>Finds the NativeAOT `vireo` the lab copies into L1 (it needs only libc there, which
/// a framework-dependent build would not), building it in a source checkout when stale; and the
/// same for `vireo-device`, the sample vfio-user device server.</summary>
internal static class VireoBinary
{
    public const string EnvironmentVariable = "VIREO_BINARY";

    public const string DeviceEnvironmentVariable = "VIREO_DEVICE_BINARY";

    private static readonly NativeProgram s_vireo = new("vireo", "--vireo", EnvironmentVariable, Arm64EnvironmentVariable, "src/Vireo.Cli", "tools/vireo.sh");

    private static readonly NativeProgram s_device = new("vireo-device", "--vireo-device", DeviceEnvironmentVariable, Arm64DeviceEnvironmentVariable,
        "src/Vireo.SampleDevice", "tools/vireo-device.sh");

    /// <summary>In order: <paramref name="explicitPath"/> (--vireo), $VIREO_BINARY, a `vireo`
    /// beside this program (an installed pair), then the checkout's tools/vireo.sh, which
    /// publishes artifacts/vireo/vireo when sources changed; its progress goes to
    /// <paramref name="progress"/>.</summary>
    public static string Locate(string? explicitPath, TextWriter progress, string? searchFrom = null) =>
        Locate(s_vireo, explicitPath, progress, searchFrom);

    /// <summary>The NativeAOT `vireo` for <paramref name="architecture"/>'s L1: on x86-64 as
    /// <see cref="Locate(string?, TextWriter, string?)"/>; for arm64 --vireo or
    /// $VIREO_ARM64_BINARY, else tools/vireo.sh in the checkout cross-compiles it
    /// (VIREO_RID=linux-arm64, into artifacts/vireo-linux-arm64). Either way the file must be an
    /// arm64 ELF.</summary>
    public static string Locate(LabArchitecture architecture, string? explicitPath, TextWriter progress, string? searchFrom = null) =>
        Locate(s_vireo, architecture, explicitPath, progress, searchFrom);

    /// <summary>Where an arm64 vireo for the arm64 lab may be named.</summary>
    public const string Arm64EnvironmentVariable = "VIREO_ARM64_BINARY";

    /// <summary>Where an arm64 vireo-device for the arm64 lab may be named.</summary>
    public const string Arm64DeviceEnvironmentVariable = "VIREO_DEVICE_ARM64_BINARY";

    /// <summary>The NativeAOT `vireo-device` for <paramref name="architecture"/>'s L1, found as
    /// <see cref="Locate(LabArchitecture, string?, TextWriter, string?)"/> finds vireo:
    /// --vireo-device, $VIREO_DEVICE_BINARY (arm64: $VIREO_DEVICE_ARM64_BINARY), beside this
    /// program (x86-64 only), or tools/vireo-device.sh in the checkout.</summary>
    public static string LocateDevice(LabArchitecture architecture, string? explicitPath, TextWriter progress, string? searchFrom = null) =>
        Locate(s_device, architecture, explicitPath, progress, searchFrom);

    private static string Locate(NativeProgram program, LabArchitecture architecture, string? explicitPath, TextWriter progress, string? searchFrom)
    {
        if (architecture != LabArchitecture.Arm64)
        {
            return Locate(program, explicitPath, progress, searchFrom);
        }
        string? given = explicitPath ?? (Environment.GetEnvironmentVariable(program.Arm64EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        string path;
        if (given is not null)
        {
            path = RequireNative(program, Path.GetFullPath(given));
        }
        else
        {
            string root = Checkout(searchFrom) ?? throw new LabException(
                $"no arm64 NativeAOT {program.Name} to copy into the lab: pass {program.Option} PATH or set {program.Arm64EnvironmentVariable} " +
                $"(build one with `dotnet publish {program.Project} -c Release -r linux-arm64 -p:PublishAot=true -o out`, which needs clang, lld and libc6-dev-arm64-cross)");
            path = BuildInCheckout(program, root, progress, ("VIREO_RID", architecture.RuntimeIdentifier()));
        }
        if (ElfFile.Machine(path) != ElfFile.MachineAarch64)
        {
            throw new LabException($"{path} is not an arm64 program, so it cannot run in the arm64 lab; give the arm64 build ({program.Option} or {program.Arm64EnvironmentVariable})");
        }
        return path;
    }

    /// <summary>The Vireo checkout this program runs from (or the current directory is in), or null.</summary>
    public static string? Checkout(string? searchFrom = null) =>
        RepositoryRoot(searchFrom ?? AppContext.BaseDirectory) ?? RepositoryRoot(Environment.CurrentDirectory);

    private static string Locate(NativeProgram program, string? explicitPath, TextWriter progress, string? searchFrom)
    {
        string? given = explicitPath ?? (Environment.GetEnvironmentVariable(program.EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (given is not null)
        {
            return RequireNative(program, Path.GetFullPath(given));
        }
        string beside = Path.Combine(AppContext.BaseDirectory, program.Name);
        if (File.Exists(beside) && IsNative(beside))
        {
            return beside;
        }
        string? root = Checkout(searchFrom);
        if (root is null)
        {
            throw new LabException(
                $"no NativeAOT {program.Name} to copy into the lab: pass {program.Option} PATH or set {program.EnvironmentVariable} " +
                $"(build one with `{program.PublishCommand}`)");
        }
        return BuildInCheckout(program, root, progress);
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

    private static string RequireNative(NativeProgram program, string path)
    {
        if (!File.Exists(path))
        {
            throw new LabException($"the {program.Name} binary {path} does not exist");
        }
        if (!IsNative(path))
        {
            throw new LabException(
                $"{path} is not a NativeAOT {program.Name} (the lab copies it into L1, which has no .NET); " +
                $"publish one with `{program.PublishCommand}` or use {program.Script}");
        }
        return path;
    }

    private static string BuildInCheckout(NativeProgram program, string root, TextWriter progress, (string Name, string Value)? environment = null)
    {
        string script = Path.Combine(root, program.Script);
        // --build-only prints the binary's path on stdout; its build progress goes to stderr.
        ProcessResult result = ProcessRunner.Run(script, ["--build-only"], onStandardError: line => progress.WriteLine(line),
            environment: environment is { } variable ? new Dictionary<string, string> { [variable.Name] = variable.Value } : null);
        string path = result.StandardOutput.Trim();
        if (!result.Succeeded || path.Length == 0)
        {
            throw new LabException($"{script} --build-only failed (exit {result.ExitCode}); the NativeAOT {program.Name} could not be built:\n{result.Tail()}");
        }
        return RequireNative(program, path);
    }

    private sealed record NativeProgram(string Name, string Option, string EnvironmentVariable, string Arm64EnvironmentVariable, string Project, string Script)
    {
        public string PublishCommand => $"dotnet publish {Project} -c Release -r linux-x64 -p:PublishAot=true -o out";
    }
}
