using System.Runtime.CompilerServices;
using System.Text;
using Vireo.Lab;

namespace Vireo.Cli;

/// <summary>`vireo lab run`: the same `vireo run` inside the nested lab (QEMU TCG emulating an
/// AMD CPU with SVM, whose stock kernel gives a real kvm-amd), for hosts without VMX/SVM.</summary>
internal static class LabCommand
{
    public const string Help = """
        Usage: vireo lab run [vireo run options] [--input TEXT] [--timeout SECONDS]

        Runs `vireo run` inside the nested lab: QEMU (TCG) emulates an AMD CPU with SVM and
        nested paging, boots Debian's stock cloud kernel with kvm-amd (L1), and this vireo
        binary boots the guest (L2) on that real KVM. For hosts whose /dev/kvm cannot boot
        Linux (PVM) or that have no KVM at all. It is slow (every guest exit is emulated):
        use it for correctness, not speed.

        Packages (qemu-system-x86, busybox-static, cpio) are installed with apt-get when
        missing; the kernel is downloaded once into ~/.cache/vireo. Progress goes to stderr,
        the guest console to stdout; the exit status is vireo run's inside the lab.

          --input TEXT      bytes typed into the guest console (\n for Enter) once it
                            shows a shell prompt ("# ")
          --timeout S       give up after S seconds (default 600)

        It copies this vireo binary into the lab, so it must be the NativeAOT build
        (tools/vireo.sh builds and runs it).
        """;

    private const string L2Kernel = "/l2/vmlinuz";
    private const string L2Initramfs = "/l2/initramfs";
    private const string VireoInL1 = "/usr/local/bin/vireo";


    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "bench")
        {
            return await LabBenchCommand.RunAsync(args[1..], stdout, stderr);
        }
        if (args[0] != "run")
        {
            throw new UsageException($"lab: unknown command '{args[0]}'; the lab commands are: run, bench boot");
        }
        var reader = new ArgReader("lab run", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        string? input = reader.Option("--input");
        uint timeout = reader.UInt("--timeout", 600, 10, 86_400);
        RunOptions options = RunOptions.Parse(reader);
        reader.Done();
        if (options.Serial != SerialTarget.Stdio)
        {
            throw new UsageException("lab run: the guest console is always stdout here; drop --serial");
        }

        string self = NativeSelf("lab run");
        LabEnvironment lab = LabEnvironment.Prepare(progress: stderr);
        string kernel;
        string? initramfs;
        if (options.Kernel is null)
        {
            DefaultGuest guest = DefaultGuest.Prepare(lab.Cache, stderr);
            (kernel, initramfs) = (guest.Kernel, guest.Initramfs);
        }
        else
        {
            (kernel, initramfs) = (options.Kernel, options.Initramfs);
        }

        using var temp = new TemporaryDirectory();
        L1ImageBuilder image = lab.NewL1Image();
        image.AddProgram(self, VireoInL1);
        image.AddFile(kernel, L2Kernel);
        if (initramfs is not null)
        {
            image.AddFile(initramfs, L2Initramfs);
        }
        string l1 = image.WriteTo(Path.Combine(temp.Path, "l1.cpio.gz"));

        await stderr.WriteLineAsync("vireo: booting the lab (L1) under QEMU TCG...");
        await using L1Machine machine = await L1Machine.BootAsync(lab.BootOptions(l1));
        string command = BuildCommand(options, initramfs is not null, input);
        await stderr.WriteLineAsync($"vireo: L1 ready in {machine.BootTime.TotalSeconds:0.0} s; running: vireo run ...");
        LabCommandResult result = await machine.RunAsync(command, TimeSpan.FromSeconds(timeout));
        await stdout.WriteAsync(result.Output);
        await machine.ShutdownAsync();
        return result.ExitStatus;
    }

    internal static string BuildCommand(RunOptions options, bool hasInitramfs, string? input)
    {
        var words = new List<string> { VireoInL1, "run", "--kernel", L2Kernel };
        if (hasInitramfs)
        {
            words.Add("--initramfs");
            words.Add(L2Initramfs);
        }
        words.AddRange(options.ForwardedArguments());
        return L2Command.Build(words, input?.Replace("\\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>This process's own NativeAOT binary, which the lab copies into L1.</summary>
    internal static string NativeSelf(string command)
    {
        string? path = Environment.ProcessPath;
        if (RuntimeFeature.IsDynamicCodeSupported || path is null || !File.Exists(path))
        {
            throw new InvalidOperationException(
                "vireo lab copies this vireo binary into the lab, so it must be the NativeAOT build; " +
                $"run tools/vireo.sh {command} ... (it publishes one), or `dotnet publish src/Vireo.Cli -c Release -r linux-x64 -p:PublishAot=true -o out` and use out/vireo");
        }
        return path;
    }

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("vireo-lab-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
