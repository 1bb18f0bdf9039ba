using System.Globalization;
using Vireo.Lab;
using Vireo.Loader;

namespace Vireo.LabTool;

/// <summary>`vireo-lab run`: `vireo run` inside the nested lab (QEMU TCG emulating an AMD CPU
/// with SVM, whose stock kernel gives a real kvm-amd), for hosts without VMX/SVM.</summary>
internal static class LabRunCommand
{
    public const string Help = """
        Usage: vireo-lab run [vireo run options] [--input TEXT] [--timeout SECONDS] [--vireo PATH]
                             [--guest default|no-modules] [--kernel-flavour cloud|generic]

        Runs `vireo run` inside the nested lab: QEMU (TCG) emulates an AMD CPU with SVM and
        nested paging, boots Debian's stock cloud kernel with kvm-amd (L1), and the NativeAOT
        vireo boots the guest (L2) on that real KVM. For hosts whose /dev/kvm cannot boot
        Linux (PVM) or that have no KVM at all. It is slow (every guest exit is emulated):
        use it for correctness, not speed.

        With no --kernel it boots the default guest (`vireo-lab guest`). --kernel and
        --initramfs are host files, checked here before the lab starts and copied into it;
        every other option goes to `vireo run` unchanged (`vireo run --help`). The guest
        console streams to stdout as it runs, progress goes to stderr, and the exit status
        is vireo run's inside the lab.

          --input TEXT      bytes typed into the guest console (\n for Enter) once it
                            shows a shell prompt ("# ")
          --timeout S       give up after S seconds (default 600)
          --vireo PATH      the NativeAOT vireo to copy into the lab (vireo-lab --help)
          --guest G         the default guest's variant: default, or no-modules (an
                            initramfs that loads no module at all)
          --kernel-flavour F  the default guest's Debian kernel: cloud (default) or generic

        Packages (qemu-system-x86, busybox-static, cpio, xz-utils) are installed with
        apt-get when missing (root or sudo), the kernel is downloaded once into the cache.
        """;

    private const string L2Kernel = "/l2/vmlinuz";
    private const string L2Initramfs = "/l2/initramfs";
    private const string VireoInL1 = "/usr/local/bin/vireo";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        LabRunArguments options = LabRunArguments.Parse(args);
        // A bad kernel is the user's first problem: say so, naming their file, before minutes of lab.
        CheckGuestFiles(options);

        string vireo = VireoBinary.Locate(options.Vireo, stderr);
        LabEnvironment lab = LabEnvironment.Prepare(progress: stderr);
        (string kernel, string? initramfs) = (options.Kernel, options.Initramfs) switch
        {
            (string k, var i) => (k, i),
            _ => GuestFiles(DefaultGuest.Prepare(lab.Cache, stderr, options.Guest, options.KernelFlavour)),
        };

        string temp = Directory.CreateTempSubdirectory("vireo-lab-").FullName;
        try
        {
            L1ImageBuilder image = lab.NewL1Image();
            image.AddProgram(vireo, VireoInL1);
            image.AddFile(kernel, L2Kernel);
            if (initramfs is not null)
            {
                image.AddFile(initramfs, L2Initramfs);
            }
            string l1 = image.WriteTo(Path.Combine(temp, "l1.cpio.gz"));

            await stderr.WriteLineAsync("vireo-lab: booting the lab (L1: Debian's kernel under QEMU TCG, emulated AMD SVM)...");
            await using L1Machine machine = await L1Machine.BootAsync(lab.BootOptions(l1));
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"vireo-lab: L1 ready in {machine.BootTime.TotalSeconds:0.0} s; vireo run boots the guest on L1's kvm-amd (the console follows):"));
            int status = await RunInL1Async(machine, options, VireoInL1, L2Kernel, initramfs is null ? null : L2Initramfs, stdout);
            await machine.ShutdownAsync();
            return status;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>`vireo run` on a running L1 that holds vireo and the guest at the given paths,
    /// its console relayed line by line to <paramref name="stdout"/> as it arrives. Returns
    /// vireo run's exit status.</summary>
    internal static async Task<int> RunInL1Async(L1Machine machine, LabRunArguments options, string vireoInL1,
        string kernelInL1, string? initramfsInL1, TextWriter stdout)
    {
        string command = L2Command.Build(
            [vireoInL1, "run", .. options.VireoRunWords(kernelInL1, initramfsInL1)],
            options.Input?.Replace("\\n", "\n", StringComparison.Ordinal));
        LabCommandResult result = await machine.RunAsync(command, TimeSpan.FromSeconds(options.TimeoutSeconds),
            onOutputLine: line => stdout.WriteLine(ConsoleRelay.ForDisplay(line)));
        await stdout.FlushAsync();
        return result.ExitStatus;
    }

    private static (string, string?) GuestFiles(DefaultGuest guest) => (guest.Kernel, guest.Initramfs);

    internal static void CheckGuestFiles(LabRunArguments options)
    {
        if (options.Kernel is not null)
        {
            BzImage.Load(options.Kernel);
        }
        if (options.Initramfs is not null && !File.Exists(options.Initramfs))
        {
            throw new LabException($"initramfs {options.Initramfs} does not exist");
        }
    }
}
