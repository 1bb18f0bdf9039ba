using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Vireo.TestSupport;

/// <summary>Runs ACPICA (iasl, acpiexec, acpibin) as an independent oracle, following
/// /work/shared/acpi-oracle/RECIPE.md: exit codes are not trusted, logs are scanned.</summary>
public static partial class Acpica
{
    public const string Header = "DefinitionBlock (\"\", \"DSDT\", 2, \"VIREO \", \"VIREOVM \", 0x00000001)";

    // RECIPE.md §4: lines that mean a problem, and acpiexec self-test noise to ignore.
    [GeneratedRegex(@"ACPI Error|ACPI Exception|ACPI Warning|Firmware Error|Firmware Warning|failed with status|^\*\*\*\*|Segmentation Fault|Aborting|nsrepair|NsSimpleRepair|Outstanding cache allocations|Unknown opcode|Invalid character|too long for file|does not contain a valid|Could not|Unexpected AE_|Incorrect checksum", RegexOptions.Multiline)]
    private static partial Regex ErrorMarker();

    [GeneratedRegex(@"GPE type mismatch \(level/edge\)|Unexpected AE_BAD_PARAMETER from Acpi(InstallGpeHandler|EnableGpe|DisableGpe|InstallMethod) \(ae(tests|tables)-")]
    private static partial Regex SelfTestNoise();

    // aetests.c also writes and reads ARB_DISABLE, which lives in the optional PM2 control block
    // that a platform without C3 does not have; ACPICA's own sleep code ignores AE_BAD_ADDRESS
    // for it (hwsleep.c). One write and one read are expected; any more means another register.
    [GeneratedRegex(@"Unexpected AE_BAD_ADDRESS from Acpi(Read|Write)BitRegister \(aetests-")]
    private static partial Regex MissingPm2Probe();

    [GeneratedRegex(@"Compilation successful\.\s+0 Errors")]
    private static partial Regex CleanCompile();

    private static readonly string[] s_tools = ["iasl", "acpiexec", "acpibin"];

    public static string? WhyMissing()
    {
        if (Environment.GetEnvironmentVariable("VIREO_REQUIRE_ACPICA") == "1")
        {
            return null;
        }
        string[] missing = s_tools.Where(t => FindOnPath(t) is null).ToArray();
        return missing.Length == 0 ? null : $"{string.Join(", ", missing)} not installed: install acpica-tools (apt-get install -y acpica-tools)";
    }

    /// <summary>Compiles a whole ASL source with iasl; fails the test on any compile error.
    /// -on keeps name paths as written so bytes compare with the builder's.</summary>
    public static byte[] Compile(string asl)
    {
        using var dir = new TempDir();
        string src = dir.File("t.asl");
        File.WriteAllText(src, asl);
        (int rc, string log) = Run("iasl", dir.Path, "-on", "-vs", "-p", dir.File("out"), src);
        string aml = dir.File("out.aml");
        if (rc != 0 || !CleanCompile().IsMatch(log) || !File.Exists(aml))
        {
            Assert.Fail($"iasl rejected the ASL (rc {rc}):\n{log}\n--- source ---\n{asl}");
        }
        return File.ReadAllBytes(aml);
    }

    /// <summary>The AML body (after the 36-byte header) of a DSDT holding <paramref name="body"/>.</summary>
    public static byte[] CompileBody(string body) =>
        Compile($"{Header}\n{{\n{body}\n}}\n")[36..];

    /// <summary>The code bytes iasl emits for <paramref name="code"/> inside
    /// <c>Method (MTST, 7, NotSerialized)</c>; <paramref name="support"/> (objects the code
    /// refers to) follows the method and is not part of the result.</summary>
    public static byte[] CompileInMethod(string code, string support = "")
    {
        byte[] body = CompileBody($"Method (MTST, 7, NotSerialized)\n{{\n{code}\n}}\n{support}");
        Assert.Equal(0x14, body[0]);
        (int pkgLength, int pkgBytes) = DecodePkgLength(body.AsSpan(1));
        int codeStart = 1 + pkgBytes + 4 + 1; // PkgLength, "MTST", MethodFlags
        return body[codeStart..(1 + pkgLength)];
    }

    /// <summary>PkgLength decoder written from ACPI 6.5 §20.2.4, independent of the builder.</summary>
    public static (int Value, int Bytes) DecodePkgLength(ReadOnlySpan<byte> bytes)
    {
        int follow = bytes[0] >> 6;
        if (follow == 0)
        {
            return (bytes[0] & 0x3F, 1);
        }
        int value = bytes[0] & 0x0F;
        for (int i = 1; i <= follow; i++)
        {
            value |= bytes[i] << (4 + (8 * (i - 1)));
        }
        return (value, follow + 1);
    }

    /// <summary>iasl -d, then a recompile with -oa in another directory (RECIPE.md §2, P1).
    /// Fails on an error marker or compile error; returns the disassembly and the recompiled table.</summary>
    public static (string Dsl, byte[] Recompiled, string Log) DisassembleAndRecompile(string name, byte[] table)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("dis"));
        Directory.CreateDirectory(dir.File("re"));
        string aml = dir.File($"dis/{name}.aml");
        File.WriteAllBytes(aml, table);
        (int drc, string dlog) = Run("iasl", dir.File("dis"), "-vs", "-d", aml);
        string dslPath = dir.File($"dis/{name}.dsl");
        if (drc != 0 || !File.Exists(dslPath))
        {
            Assert.Fail($"iasl -d {name} failed (rc {drc}):\n{dlog}");
        }
        string dsl = File.ReadAllText(dslPath);
        AssertNoErrorMarkers($"iasl -d {name}", dlog + dsl);
        (int crc, string clog) = Run("iasl", dir.Path, "-vs", "-oa", "-p", dir.File($"re/{name}"), dslPath);
        string re = dir.File($"re/{name}.aml");
        if (crc != 0 || !CleanCompile().IsMatch(clog) || !File.Exists(re))
        {
            Assert.Fail($"recompiling the disassembly of {name} failed (rc {crc}):\n{clog}\n--- dsl ---\n{dsl}");
        }
        return (dsl, File.ReadAllBytes(re), clog);
    }

    /// <summary>acpibin -c: rc 0 when the bodies (everything but compiler id/revision and checksum) match.</summary>
    public static void AssertSameBody(byte[] expected, byte[] actual)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.aml"), expected);
        File.WriteAllBytes(dir.File("b.aml"), actual);
        (int rc, string log) = Run("acpibin", dir.Path, "-c", dir.File("a.aml"), dir.File("b.aml"));
        Assert.True(rc == 0, $"acpibin -c found the bodies different (rc {rc}):\n{log}");
    }

    /// <summary>Runs acpiexec in batch mode with the flags RECIPE.md §3 recommends and fails the
    /// test on a bad exit status, missing load, or any error marker. Returns the log.</summary>
    public static string Exec(string commands, params (string Name, byte[] Bytes)[] tables)
    {
        using var dir = new TempDir();
        var args = new List<string> { "-df", "-dt", "-x", "0x300B", "-b", commands };
        foreach ((string name, byte[] bytes) in tables)
        {
            string path = dir.File($"{name}.aml");
            File.WriteAllBytes(path, bytes);
            args.Add(path);
        }
        (int rc, string log) = Run("acpiexec", dir.Path, [.. args]);
        Assert.True(rc == 0, $"acpiexec exit status {rc}:\n{log}");
        Assert.True(log.Contains("successfully acquired and loaded", StringComparison.Ordinal), $"acpiexec did not load the tables:\n{log}");
        AssertNoErrorMarkers("acpiexec", log);
        return log;
    }

    public static void AssertNoErrorMarkers(string what, string log)
    {
        string[] lines = log.Split('\n');
        string[] pm2Probes = lines.Where(l => MissingPm2Probe().IsMatch(l)).ToArray();
        bool pm2ProbesExpected = pm2Probes.Length <= 2 && pm2Probes.Distinct().Count() == pm2Probes.Length;
        string[] bad = lines
            .Where(l => ErrorMarker().IsMatch(l) && !SelfTestNoise().IsMatch(l) && !(pm2ProbesExpected && MissingPm2Probe().IsMatch(l)))
            .ToArray();
        Assert.True(bad.Length == 0, $"{what} reported:\n{string.Join('\n', bad)}\n--- full log ---\n{log}");
    }

    public static string AslOf(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes)
        {
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }
            sb.Append($"0x{b:X2}");
        }
        return sb.ToString();
    }

    private static (int ExitCode, string Log) Run(string tool, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {tool}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish within 120 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    private sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = Directory.CreateTempSubdirectory("vireo-acpi-").FullName;
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing a test over.
            }
        }
    }
}
