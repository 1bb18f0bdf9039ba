using System.Diagnostics;

namespace Vireo.Lab.Tests;

/// <summary>tools/vireo.sh, tools/vireo-lab.sh and tools/run-default-guest.sh against a fake
/// `dotnet` first on PATH, so that what they build, when, and what the user sees is checked in
/// milliseconds instead of a NativeAOT publish.</summary>
public sealed class ToolScriptTests : IDisposable
{
    // Records each call; "publish"/"build" print a progress line and produce a vireo that
    // answers kvm-info with $FAKE_BACKEND, or a vireo-lab.dll; running the dll stands for vireo-lab.
    private const string FakeDotnet = """
        #!/bin/sh
        echo "$*" >> "$FAKE_LOG"
        case "$1" in
          publish|build)
            out=; prev=
            for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
            echo "  fake-progress: $1 step"
            mkdir -p "$out"
            if [ "$1" = publish ]; then
              printf '#!/bin/sh\ncase "$1" in kvm-info) echo "{\\"backend\\": \\"$FAKE_BACKEND\\"}";; *) echo "fake-vireo $*";; esac\n' > "$out/vireo"
              chmod +x "$out/vireo"
            else
              : > "$out/vireo-lab.dll"
            fi ;;
          *.dll)
            shift
            if [ "$1" = guest ]; then echo "kernel: /fake/vmlinuz"; echo "initramfs: /fake/initrd"; echo "rootfs: /fake/rootfs.ext4"; if [ "$2" = --machine-disk ]; then echo "disk: /fake/machine.ext4"; fi; else echo "fake-vireo-lab $*"; fi ;;
        esac
        """;

    private readonly TempDirectory _temp = new();
    private readonly string _root = L1Fixture.RepositoryRoot();

    public ToolScriptTests()
    {
        Directory.CreateDirectory(_temp.Combine("bin"));
        File.WriteAllText(_temp.Combine("bin", "dotnet"), FakeDotnet.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(_temp.Combine("bin", "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => _temp.Dispose();

    private string[] DotnetCalls() =>
        File.Exists(_temp.Combine("log")) ? File.ReadAllLines(_temp.Combine("log")) : [];

    private (int Status, string Stdout, string Stderr) Script(string script, string backend, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(_root, "tools", script))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["PATH"] = _temp.Combine("bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["VIREO_ARTIFACTS"] = _temp.Combine("artifacts");
        start.Environment["FAKE_LOG"] = _temp.Combine("log");
        start.Environment["FAKE_BACKEND"] = backend;
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public void Vireo_sh_shows_the_builds_progress_and_builds_only_when_a_source_is_newer()
    {
        (int status, string stdout, string stderr) = Script("vireo.sh", "amd", "--build-only");

        Assert.Equal(0, status);
        string binary = _temp.Combine("artifacts", "vireo", "vireo");
        Assert.Equal(binary, stdout.Trim());
        Assert.Contains("building the NativeAOT binary", stderr, StringComparison.Ordinal);
        Assert.Contains("fake-progress: publish step", stderr, StringComparison.Ordinal);
        Assert.Single(DotnetCalls());

        // Fresh: no second publish, and the arguments reach the binary.
        (_, string version, _) = Script("vireo.sh", "amd", "--version");
        Assert.Equal("fake-vireo --version", version.Trim());
        Assert.Single(DotnetCalls());

        // A build rewrites generated .cs files under obj/ (tools/test.sh does): not a source change.
        string generated = Path.Combine(_root, "src", "Vireo.Cli", "obj", $"vireo-sh-test-{Guid.NewGuid():N}.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(generated)!);
        File.WriteAllText(generated, "// generated");
        File.SetLastWriteTimeUtc(generated, DateTime.UtcNow.AddHours(2));
        try
        {
            Script("vireo.sh", "amd", "--version");
            Assert.Single(DotnetCalls());
        }
        finally
        {
            File.Delete(generated);
        }

        // Sources newer than the binary (as after an edit): rebuilt.
        File.SetLastWriteTimeUtc(binary, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Script("vireo.sh", "amd", "--version");
        Assert.Equal(2, DotnetCalls().Length);
    }

    [Fact]
    public void Run_default_guest_shows_the_build_and_on_hardware_kvm_boots_the_guest_vireo_lab_fetched()
    {
        (int status, string stdout, string stderr) = Script("run-default-guest.sh", "amd", "--cpus", "2");

        Assert.Equal(0, status);
        Assert.Contains("fake-progress: publish step", stderr, StringComparison.Ordinal);
        Assert.Contains("hardware KVM (amd)", stderr, StringComparison.Ordinal);
        // The machine boots its own writable disk, with the network only where a tap can be made.
        string net = ProcessRunner.IsRoot ? " --net tap" : "";
        Assert.Equal($"fake-vireo run --kernel /fake/vmlinuz --initramfs /fake/initrd --disk path=/fake/machine.ext4 --append root=/dev/vda{net} --cpus 2", stdout.Trim());
        if (net.Length == 0)
        {
            Assert.Contains("creating a tap needs root", stderr, StringComparison.Ordinal);
        }
        Assert.Contains(DotnetCalls(), call => call.StartsWith("build ", StringComparison.Ordinal) && call.Contains("Vireo.LabTool", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("amd", "--net", "tap=mine")]
    [InlineData("pvm", "--net=tap=mine")]
    public void Run_default_guest_gives_the_users_network_instead_of_its_own(string backend, params string[] net)
    {
        (int status, string stdout, _) = Script("run-default-guest.sh", backend, net);

        Assert.Equal(0, status);
        // The user's --net reaches vireo run, and the script adds no tap of its own beside it.
        Assert.Contains(string.Join(' ', net), stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--net tap ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_default_guest_on_pvm_goes_through_the_lab_tool()
    {
        (int status, string stdout, string stderr) = Script("run-default-guest.sh", "pvm");

        Assert.Equal(0, status);
        Assert.Contains("'pvm', which cannot boot a stock kernel", stderr, StringComparison.Ordinal);
        // The lab copies the pristine root disk into L1 and makes the tap there (L1 is root).
        Assert.StartsWith("fake-vireo-lab run --disk path=/fake/rootfs.ext4 --append root=/dev/vda --net tap --input echo \"hello from the default guest", stdout, StringComparison.Ordinal);
        // tools/vireo.sh lab ... is the same tool.
        (_, string viaVireoSh, _) = Script("vireo.sh", "pvm", "lab", "bench", "boot");
        Assert.Equal("fake-vireo-lab bench boot", viaVireoSh.Trim());
    }
}
