using System.Globalization;
using System.Reflection;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// virtio-blk and virtio-net under Vireo and under QEMU, the same guest on the same L1 KVM in
/// one lab run, alternating: the default guest's kernel and initramfs with the
/// <c>devbench</c> tool (Assets/devbench.c, static) added, one vCPU, 256 MiB, the same
/// zero-filled raw image in L1's memory (page cache on both sides: Vireo's default, QEMU's
/// cache=writeback with aio=threads) and a tap each. QEMU is <c>-M q35</c> with
/// virtio-blk-pci and virtio-net-pci, modern only, no vhost: the same transport and MSI-X
/// interrupts as Vireo's, with the device models in each VMM's userspace.
/// The guest runs three phases (4 KiB random reads at queue depth 1, 1 MiB sequential reads,
/// a TCP stream to L1) and marks each start and end on the console; L1 reads the VMM process's
/// CPU time from /proc at each mark, so each phase has its VMM CPU cost (user + system time,
/// less the time the vCPU spent in the guest).
/// </summary>
public static class DeviceBenchmark
{
    /// <summary>Where the tool runs in L1 (the TCP sink).</summary>
    public const string ToolInL1 = "/usr/local/bin/devbench";

    /// <summary>The default guest's initramfs with the tool at /bin/devbench, in L1.</summary>
    public const string InitramfsInL1 = "/l2/devbench.cpio.gz";

    /// <summary>The disk image both VMMs get, made in L1 (tmpfs) before the first run.</summary>
    public const string DiskInL1 = "/tmp/devbench.raw";

    /// <summary>QEMU's tap script (-netdev tap,script=): the host address on the tap QEMU made.</summary>
    public const string QemuIfUpInL1 = "/etc/vireo-devbench-ifup";

    /// <summary>The host side of both taps; the guest takes .2.</summary>
    public const string HostAddress = "192.168.249.1";

    /// <summary>The port of the TCP sink in L1.</summary>
    public const int SinkPort = 5001;

    /// <summary>The guest's kernel command line, without the script: quiet, so the kernel's
    /// messages do not interleave with the marks.</summary>
    public const string KernelCommandLine = "console=ttyS0 reboot=t panic=-1 quiet";

    /// <summary>QEMU's machine options (besides memory, CPUs, kernel, command line and devices).</summary>
    public const string QemuMachineArguments = "-M q35 -enable-kvm -cpu host -nodefaults -no-user-config -display none -serial stdio -no-reboot";

    /// <summary>The phases, in the order the guest runs them.</summary>
    public static readonly IReadOnlyList<string> Phases = ["blk-randread", "blk-seqread", "tcp-send"];

    internal const string Mark = "@@DEVBENCH-MARK";
    internal const string CpuLine = "@@DEVBENCH-CPU";
    internal const string ToolLine = "@@DEVBENCH";
    internal const string ExitLine = "@@DEVBENCH-EXIT";

    private static readonly BootBenchmarkVmm[] s_order = [BootBenchmarkVmm.Vireo, BootBenchmarkVmm.Qemu];

    /// <summary>Compiles the tool with gcc (static) into the cache, once per version of its source.</summary>
    public static string BuildTool(LabCache cache, TextWriter? progress = null)
    {
        string[] flags = ["-static", "-O2", "-Wall", "-Wextra", "-Werror"];
        return CachedBuild.Get(cache, "devbench", [("devbench.c", CachedBuild.Resource("devbench.c"))], string.Join(' ', flags), (dir, binary) =>
        {
            HostPackages.EnsureInstalled(["gcc", "libc6-dev"], progress);
            string gcc = ProcessRunner.FindOnPath("gcc") ?? throw new LabException("gcc is missing: the device benchmark compiles its guest tool (apt-get install gcc)");
            progress?.WriteLine("lab: compiling the device benchmark's tool");
            ProcessResult built = ProcessRunner.Run(gcc, [.. flags, "-o", binary, "devbench.c"], workingDirectory: dir);
            if (!built.Succeeded)
            {
                throw new LabException($"gcc could not build the device benchmark's tool:\n{built.Tail()}");
            }
        });
    }

    /// <summary>Adds what the benchmark needs besides vireo, QEMU (<see cref="BootBenchmark.AddQemu"/>)
    /// and the kernel: the tool in L1, the guest's initramfs with the tool (<paramref name="initramfs"/>
    /// followed by a second archive, which the kernel unpacks over the first) and QEMU's tap script.</summary>
    public static void AddTo(L1ImageBuilder image, string tool, string initramfs)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.AddFile(tool, ToolInL1, mode: 0x1ED);
        image.AddFile(InitramfsInL1, CpioWriter.AppendToInitramfs(initramfs, cpio => cpio.AddFile("bin/devbench", File.ReadAllBytes(tool), 0x1ED)));
        image.AddFile(QemuIfUpInL1, Encoding.UTF8.GetBytes($"#!/bin/sh\nip addr add {HostAddress}/24 dev \"$1\" && ip link set \"$1\" up\n"), 0x1ED);
    }

    /// <summary>The rounds on a running L1 that has what <see cref="AddTo"/> and
    /// <see cref="BootBenchmark.AddQemu"/> add, vireo and the kernel. Throws
    /// <see cref="LabException"/> naming the VMM and round when a run misses a phase.</summary>
    public static async Task<DeviceBenchmarkResult> RunAsync(
        L1Machine machine, DeviceBenchmarkOptions? options = null, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(machine);
        options ??= new DeviceBenchmarkOptions();
        options.Validate();
        await BenchmarkLab.RequireFilesAsync(machine,
            [options.VireoInL1, BootBenchmark.QemuInL1, options.KernelInL1, InitramfsInL1, ToolInL1, QemuIfUpInL1, $"{BootBenchmark.QemuDataInL1}/bios-256k.bin", "/dev/kvm", "/dev/net/tun"],
            "device benchmark", "the L1 image needs vireo, BootBenchmark.AddQemu, DeviceBenchmark.AddTo and the kernel; /dev/kvm needs kvm-amd, /dev/net/tun the tun module",
            cancellationToken).ConfigureAwait(false);
        LabCommandResult disk = await machine.RunAsync(
            $"[ -e {DiskInL1} ] || dd if=/dev/zero of={DiskInL1} bs=1M count={options.DiskMiB.ToString(CultureInfo.InvariantCulture)} 2>/dev/null || echo 'cannot make {DiskInL1}'",
            TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        if (disk.Output.Trim().Length > 0)
        {
            throw new LabException($"device benchmark: {disk.Output.Trim()} in L1 (is L1's memory full?)");
        }
        var vireo = new List<DeviceBenchmarkSample>();
        var qemu = new List<DeviceBenchmarkSample>();
        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (BootBenchmarkVmm vmm in s_order)
            {
                string what = string.Create(CultureInfo.InvariantCulture, $"{BootBenchmarkScript.Name(vmm)} (round {round})");
                LabCommandResult result;
                try
                {
                    result = await machine.RunAsync(RunScript(vmm, options), options.RunTimeout + TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                }
                catch (LabTimeoutException e)
                {
                    throw new LabException($"device benchmark: {what} did not end even though L1 kills it at the timeout; L1 was stopped\n{e.Message}", e);
                }
                DeviceBenchmarkSample sample = Parse(vmm, round, result.Output)
                    ?? throw new LabException($"device benchmark: {what} did not finish its phases:\n{Tail(result.Output, 40)}");
                progress?.WriteLine($"vireo: round {round}/{options.Rounds} {BootBenchmarkScript.Name(vmm)}: {sample}");
                (vmm == BootBenchmarkVmm.Vireo ? vireo : qemu).Add(sample);
            }
        }
        return new DeviceBenchmarkResult(vireo, qemu, options);
    }

    /// <summary>Everything in one go, as `vireo-lab bench devices` does: prepares the lab, builds
    /// an L1 image with <paramref name="vireo"/>, QEMU, the guest and the tool, boots it, runs
    /// the rounds and powers L1 off.</summary>
    public static async Task<DeviceBenchmarkResult> RunInNewLabAsync(
        string vireo, DeviceBenchmarkOptions? options = null, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vireo);
        options ??= new DeviceBenchmarkOptions();
        options.Validate();
        return await BenchmarkLab.RunInNewL1Async(vireo, options.VireoInL1, options.KernelInL1,
            (image, lab, guest) => AddTo(image, BuildTool(lab.Cache, progress), guest.Initramfs),
            machine => RunAsync(machine, options, progress, cancellationToken),
            progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the guest runs (the default initramfs runs it before its shell): eth0 up,
    /// then each phase between two marks, with a second's pause after each mark so that L1
    /// reads the CPU time before the phase starts; then a triple fault ends either VMM.</summary>
    public static string GuestScript(DeviceBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string s = options.PhaseSeconds.ToString(CultureInfo.InvariantCulture);
        return $"""
            ip addr add {HostAddress[..HostAddress.LastIndexOf('.')]}.2/24 dev eth0 && ip link set eth0 up
            sleep 2
            echo "{Mark} 0"; sleep 1
            devbench randread /dev/vda {s}
            echo "{Mark} 1"; sleep 1
            devbench seqread /dev/vda {s}
            echo "{Mark} 2"; sleep 1
            devbench send {HostAddress} {SinkPort} {s}
            echo "{Mark} 3"
            reboot -f
            """;
    }

    /// <summary>One VMM's command line in L1.</summary>
    public static string VmmCommand(BootBenchmarkVmm vmm, DeviceBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string cmdline = $"{KernelCommandLine} {DefaultGuest.ScriptArgument(GuestScript(options))}";
        var c = CultureInfo.InvariantCulture;
        return vmm switch
        {
            BootBenchmarkVmm.Vireo => string.Create(c,
                $"{options.VireoInL1} run --kernel {options.KernelInL1} --initramfs {InitramfsInL1} --cpus 1 --memory {options.MemoryMiB}M " +
                $"--cmdline '{cmdline}' --disk path={DiskInL1} --net tap,ip={HostAddress}/24"),
            _ => string.Create(c,
                $"{BootBenchmark.QemuInL1} {QemuMachineArguments} -L {BootBenchmark.QemuDataInL1} -smp 1 -m {options.MemoryMiB} " +
                $"-kernel {options.KernelInL1} -initrd {InitramfsInL1} -append '{cmdline}' " +
                $"-drive file={DiskInL1},if=none,id=d0,format=raw,cache=writeback,aio=threads -device virtio-blk-pci,drive=d0,disable-legacy=on " +
                $"-netdev tap,id=n0,script={QemuIfUpInL1},downscript=no,vnet_hdr=on -device virtio-net-pci,netdev=n0,disable-legacy=on,romfile="),
        };
    }

    /// <summary>The L1 shell for one run: the TCP sink, the VMM (killed at the timeout) writing
    /// into a FIFO, and awk reading it, which stamps each mark with the VMM's CPU times from
    /// /proc/PID/stat (utime, stime, guest_time: fields 14, 15 and 43) and keeps the tool's lines.</summary>
    internal static string RunScript(BootBenchmarkVmm vmm, DeviceBenchmarkOptions options)
    {
        int seconds = (int)Math.Ceiling(options.RunTimeout.TotalSeconds);
        string log = $"/tmp/devbench-{BootBenchmarkScript.Name(vmm)}.log";
        string awk = $$"""
            function cpu(  line, f) { getline line < stat; close(stat); split(line, f, " "); return f[14] " " f[15] " " f[43] }
            { sub(/\r$/, "") }
            index($0, "{{Mark}} ") { print "{{CpuLine}} " $NF " " cpu(); fflush(); next }
            index($0, "{{ToolLine}} ") { print substr($0, index($0, "{{ToolLine}} ")); fflush(); next }
            { print > logfile }
            """;
        return string.Create(CultureInfo.InvariantCulture, $"""
            rm -f /tmp/devbench.fifo {log}; mkfifo /tmp/devbench.fifo
            {ToolInL1} sink {SinkPort} > /tmp/devbench-sink.out 2>&1 & sink=$!
            timeout -s KILL {seconds} {VmmCommand(vmm, options)} </dev/null > /tmp/devbench.fifo 2>&1 & vmm=$!
            awk -v stat=/proc/$vmm/stat -v logfile={log} '{awk.ReplaceLineEndings("\n")}' < /tmp/devbench.fifo
            wait $vmm; status=$?
            kill $sink 2>/dev/null; wait $sink 2>/dev/null
            echo "{ExitLine} $status"
            [ $status = 0 ] || tail -n 30 {log}
            """).ReplaceLineEndings("\n");
    }

    /// <summary>A run's phases from its output, or null when it missed a phase, a mark or its exit.</summary>
    internal static DeviceBenchmarkSample? Parse(BootBenchmarkVmm vmm, int round, string output)
    {
        var marks = new Dictionary<int, long>();
        var tool = new Dictionary<string, (long Requests, long Bytes, double Seconds)>();
        int? status = null;
        foreach (string raw in output.Split('\n'))
        {
            string[] f = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (f)
            {
                case [CpuLine, var mark, var user, var system, var guest]
                    when int.TryParse(mark, CultureInfo.InvariantCulture, out int m) && long.TryParse(user, CultureInfo.InvariantCulture, out long u)
                        && long.TryParse(system, CultureInfo.InvariantCulture, out long s) && long.TryParse(guest, CultureInfo.InvariantCulture, out long g):
                    marks[m] = u + s - g;
                    break;
                case [ToolLine, var name, var requests, var bytes, var seconds]
                    when Field(requests, "requests") is { } r && Field(bytes, "bytes") is { } b
                        && double.TryParse(seconds.StartsWith("seconds=", StringComparison.Ordinal) ? seconds[8..] : "", CultureInfo.InvariantCulture, out double t):
                    tool[name] = (r, b, t);
                    break;
                case [ExitLine, var code] when int.TryParse(code, CultureInfo.InvariantCulture, out int c):
                    status = c;
                    break;
            }
        }
        var phases = new List<DeviceBenchmarkPhase>();
        for (int i = 0; i < Phases.Count; i++)
        {
            if (!tool.TryGetValue(Phases[i], out var t) || !marks.TryGetValue(i, out long before) || !marks.TryGetValue(i + 1, out long after))
            {
                return null;
            }
            phases.Add(new DeviceBenchmarkPhase(Phases[i], t.Requests, t.Bytes, t.Seconds, after - before));
        }
        // The guest ends with a triple fault (reboot=t), which ends either VMM with status 0.
        return status == 0 ? new DeviceBenchmarkSample(vmm, round, phases) : null;
    }

    private static long? Field(string word, string name) =>
        word.StartsWith(name + "=", StringComparison.Ordinal) && long.TryParse(word[(name.Length + 1)..], CultureInfo.InvariantCulture, out long v) ? v : null;

    private static string Tail(string text, int lines)
    {
        string[] all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

}
