using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The SDEI conformance guest (guest/sdei-conformance): a bare-metal arm64 program, built here
/// with Debian's gcc-aarch64-linux-gnu into a plain arm64 <c>Image</c>, that drives Vireo's SDEI
/// dispatcher on two vCPUs and prints one line per check. It asks the host for the events only
/// the host can raise with <c>SDEI-SIGNAL</c> lines; <see cref="L1Script"/> runs it under vireo
/// and answers each with <c>vireo remote sdei-signal</c>, in order.
/// </summary>
public static class SdeiConformanceGuest
{
    /// <summary>Where the lab puts the Image in the arm64 L1.</summary>
    public const string InL1 = "/l2/sdei-conformance.img";

    /// <summary>The sources, embedded from guest/sdei-conformance in this order.</summary>
    private static readonly string[] s_sources = ["start.S", "sdei-guest.c", "guest.ld"];

    /// <summary>The flags the guest needs: freestanding, no FP/SIMD registers (the handler entry
    /// saves only the general ones), no unaligned access (the MMU is off, so all of RAM is Device
    /// memory), x18 left alone, linked at the start of RAM.</summary>
    private static readonly string[] s_flags =
    [
        "-O2", "-ffreestanding", "-nostdlib", "-nostartfiles", "-static", "-fno-pie", "-no-pie",
        "-mgeneral-regs-only", "-mstrict-align", "-ffixed-x18", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
        "-Wall", "-Wextra", "-Werror", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
    ];

    /// <summary>How many checks the guest makes: each is one <c>check("…")</c> call in its source,
    /// run exactly once, so a run that passes is one that printed this many.</summary>
    public static int CheckCount { get; } = Encoding.UTF8.GetString(Source("sdei-guest.c"))
        .Split('\n').Count(line => line.TrimStart().StartsWith("check(\"", StringComparison.Ordinal));

    /// <summary>Compiles the guest into the cache (once per version of its sources) and returns
    /// the Image's path.</summary>
    public static string Build(LabCache cache, TextWriter? progress = null) =>
        Compile(cache, "sdei-conformance", "sdei-guest.c", [], progress);

    /// <summary>Where the lab puts the snapshot guest's Image in the arm64 L1.</summary>
    public const string SnapshotInL1 = "/l2/sdei-snapshot.img";

    /// <summary>How many checks the snapshot guest makes, counted as <see cref="CheckCount"/> is:
    /// those in sdei-snapshot.c and those of the one conformance phase it also runs,
    /// <c>start_secondary</c>.</summary>
    public static int SnapshotCheckCount { get; } = Checks(Encoding.UTF8.GetString(Source("sdei-snapshot.c")))
        + Checks(Function(Encoding.UTF8.GetString(Source("sdei-guest.c")), "static void start_secondary(void)"));

    private static int Checks(string source) =>
        source.Split('\n').Count(line => line.TrimStart().StartsWith("check(\"", StringComparison.Ordinal));

    // A C function's text, from its signature to the first line that closes it ("}" alone).
    private static string Function(string source, string signature)
    {
        int start = source.IndexOf(signature + "\n{", StringComparison.Ordinal);
        int end = source.IndexOf("\n}\n", start + 1, StringComparison.Ordinal);
        return start >= 0 && end > start ? source[start..end] : throw new InvalidOperationException($"no `{signature}` in the guest's source");
    }

    /// <summary>Compiles the snapshot guest (sdei-snapshot.c: the conformance guest's helpers and
    /// handler with a main that has itself snapshotted and restored) and returns the Image's path.</summary>
    public static string BuildSnapshotGuest(LabCache cache, TextWriter? progress = null) =>
        // The conformance phases it does not run are unused there.
        Compile(cache, "sdei-snapshot", "sdei-snapshot.c", ["-Wno-unused-function"], progress);

    private static string Compile(LabCache cache, string name, string main, string[] extraFlags, TextWriter? progress)
    {
        string[] sources = main == "sdei-guest.c" ? s_sources : [.. s_sources, main];
        string[] flags = [.. s_flags, .. extraFlags];
        return CachedBuild.Get(cache, name, [.. sources.Select(file => (file, Source(file)))], string.Join(' ', flags), (dir, image) =>
        {
            HostPackages.EnsureInstalled(["gcc-aarch64-linux-gnu"], progress);
            string gcc = ProcessRunner.FindOnPath("aarch64-linux-gnu-gcc")
                ?? throw new LabException($"aarch64-linux-gnu-gcc is missing: the {name} guest is built with it (apt-get install gcc-aarch64-linux-gnu)");
            string objcopy = ProcessRunner.FindOnPath("aarch64-linux-gnu-objcopy")
                ?? throw new LabException("aarch64-linux-gnu-objcopy is missing (apt-get install binutils-aarch64-linux-gnu)");
            progress?.WriteLine($"lab: compiling the {name} guest");
            string elf = Path.Combine(dir, name + ".elf");
            ProcessResult built = ProcessRunner.Run(gcc, [.. flags, "-T", "guest.ld", "-o", elf, "start.S", main], workingDirectory: dir);
            if (!built.Succeeded)
            {
                throw new LabException($"aarch64-linux-gnu-gcc could not build the {name} guest:\n{built.Tail()}");
            }
            ProcessResult copied = ProcessRunner.Run(objcopy, ["-O", "binary", elf, image]);
            if (!copied.Succeeded)
            {
                throw new LabException($"aarch64-linux-gnu-objcopy could not extract the {name} guest's Image:\n{copied.Tail()}");
            }
        });
    }

    /// <summary>
    /// A shell script for the arm64 L1 that runs the guest under <paramref name="vireo"/> with two
    /// vCPUs and an API socket, answers each whole <c>SDEI-SIGNAL EVENT TARGET !</c> line it
    /// prints with one <c>vireo remote sdei-signal</c> (<c>--cpu TARGET</c> for a vCPU, none for
    /// <c>all</c> and <c>shared</c>), and when vireo exits prints <c>vireo-status=N</c>, a
    /// <c>host-signal EVENT TARGET status=N</c> line per answer, each line of the VM's event
    /// stream (<c>vireo remote events</c>) as <c>vm-event JSON</c>, and the guest's console. No
    /// request is answered before the event stream is known to be subscribed (it has seen the
    /// <c>paused</c> of a pause and resume the script makes), so the stream misses no signal.
    /// </summary>
    public static string L1Script(string vireo, string image, string workDirectory = "/tmp/sdei-conformance")
    {
        string v = L2Command.Quote(vireo);
        string d = L2Command.Quote(workDirectory);
        return string.Join('\n', (string[])[
            $"d={d}; rm -rf \"$d\"; mkdir -p \"$d\"; : > \"$d/host.log\"",
            $"{v} run --kernel {L2Command.Quote(image)} --memory 64M --cpus 2 --api-socket \"$d/api.sock\" </dev/null >\"$d/console.log\" 2>&1 &",
            "pid=$!; n=0; ev=; synced=",
            "sync_events() {",
            "  [ -n \"$synced\" ] && return 0",
            "  [ -e \"$d/api.sock\" ] || return 1",
            $"  [ -n \"$ev\" ] || {{ {v} remote --api-socket \"$d/api.sock\" events >\"$d/events.log\" 2>&1 & ev=$!; }}",
            $"  {v} remote --api-socket \"$d/api.sock\" pause >/dev/null 2>&1; {v} remote --api-socket \"$d/api.sock\" resume >/dev/null 2>&1",
            "  grep -q '\"paused\"' \"$d/events.log\" && synced=1",
            "}",
            .. AnswerFunction(v, "\"$d/console.log\"", "\"$d/api.sock\""),
            "while kill -0 \"$pid\" 2>/dev/null; do sync_events && answer; sleep 0.2; done",
            "wait \"$pid\"; echo \"vireo-status=$?\"",
            // The stream ends with the VM; a stuck one is not waited for long.
            "i=0; while [ -n \"$ev\" ] && kill -0 \"$ev\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; [ -n \"$ev\" ] && kill \"$ev\" 2>/dev/null",
            "cat \"$d/host.log\"; [ -f \"$d/events.log\" ] && sed 's/^/vm-event /' \"$d/events.log\"; cat \"$d/console.log\""]);
    }

    /// <summary>
    /// A shell script for the arm64 L1 that runs the snapshot guest under <paramref name="vireo"/>
    /// (two vCPUs, an API socket per process), answers its <c>SDEI-SIGNAL</c> lines as
    /// <see cref="L1Script"/> does, and for each <c>SDEI-SNAPSHOT !</c> line pauses the VM, writes
    /// a snapshot with <c>vireo remote snapshot</c>, stops that vireo, starts a new one with
    /// <c>--restore</c> and sends the guest one byte (<c>r</c>) on the new console. It prints
    /// <c>host-pause G status=N</c>, <c>host-snapshot G status=N</c> and <c>vireo-G-status=N</c>
    /// for each generation G it replaced, the snapshot's RAM image size as <c>snapshot-G
    /// bytes=N allocated-kib=K</c>, <c>vireo-status=N</c> for the last one, then every
    /// console in order.
    /// </summary>
    public static string SnapshotL1Script(string vireo, string image, string workDirectory = "/tmp/sdei-snapshot")
    {
        string v = L2Command.Quote(vireo);
        string d = L2Command.Quote(workDirectory);
        return string.Join('\n', (string[])[
            $"d={d}; rm -rf \"$d\"; mkdir -p \"$d\"; : > \"$d/host.log\"; g=0",
            // Each vireo reads its console from a fifo this script holds open on fd 3.
            "start() {",
            "  mkfifo \"$d/in.$g\"",
            $"  {v} run \"$@\" --api-socket \"$d/api.$g\" <\"$d/in.$g\" >\"$d/console.$g\" 2>&1 &",
            "  pid=$!; exec 3>\"$d/in.$g\"; n=0; s=0",
            "  i=0; while [ ! -S \"$d/api.$g\" ] && kill -0 \"$pid\" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done",
            "}",
            .. AnswerFunction(v, "\"$d/console.$g\"", "\"$d/api.$g\""),
            "snapshot() {",
            "  c=$(grep -c '^SDEI-SNAPSHOT !' \"$d/console.$g\")",
            "  [ \"$c\" -gt \"$s\" ] || return 0",
            $"  {v} remote --api-socket \"$d/api.$g\" pause >>\"$d/host.log\" 2>&1; echo \"host-pause $g status=$?\" >>\"$d/host.log\"",
            $"  {v} remote --api-socket \"$d/api.$g\" snapshot \"$d/snap.$g\" >>\"$d/host.log\" 2>&1; echo \"host-snapshot $g status=$?\" >>\"$d/host.log\"",
            "  echo \"snapshot-$g bytes=$(stat -c %s \"$d/snap.$g/memory\" 2>/dev/null) allocated-kib=$(du -k \"$d/snap.$g/memory\" 2>/dev/null | cut -f1)\" >>\"$d/host.log\"",
            $"  {v} remote --api-socket \"$d/api.$g\" shutdown --force >>\"$d/host.log\" 2>&1",
            "  wait \"$pid\"; echo \"vireo-$g-status=$?\" >>\"$d/host.log\"; exec 3>&-",
            "  p=$g; g=$((g+1)); start --restore \"$d/snap.$p\"; printf r >&3",
            "}",
            $"start --kernel {L2Command.Quote(image)} --memory 64M --cpus 2",
            "while kill -0 \"$pid\" 2>/dev/null; do answer; snapshot; sleep 0.2; done",
            "wait \"$pid\"; echo \"vireo-status=$?\"; exec 3>&-",
            "cat \"$d/host.log\"; i=0; while [ $i -le $g ]; do echo \"=== console $i\"; cat \"$d/console.$i\"; i=$((i+1)); done"]);
    }

    /// <summary>The shell function <c>answer</c> both scripts use: each whole
    /// <c>SDEI-SIGNAL EVENT TARGET !</c> line of <paramref name="console"/> not answered yet (it
    /// counts them in <c>$n</c>) becomes one <c>vireo remote sdei-signal</c> on
    /// <paramref name="socket"/> (<c>--cpu TARGET</c> for a vCPU, none for <c>all</c> and
    /// <c>shared</c>), logged with its status in <c>$d/host.log</c>. Both arguments are quoted shell words.</summary>
    private static string[] AnswerFunction(string v, string console, string socket) =>
    [
        "answer() {",
        $"  c=$(grep -cE '^SDEI-SIGNAL [0-9]+ [a-z0-9]+ !' {console})",
        "  while [ \"$n\" -lt \"$c\" ]; do",
        "    n=$((n+1))",
        $"    set -- $(grep -E '^SDEI-SIGNAL [0-9]+ [a-z0-9]+ !' {console} | sed -n \"${{n}}p\")",
        "    case \"$3\" in",
        $"      all|shared) {v} remote --api-socket {socket} sdei-signal \"$2\" >>\"$d/host.log\" 2>&1 ;;",
        $"      *) {v} remote --api-socket {socket} sdei-signal \"$2\" --cpu \"$3\" >>\"$d/host.log\" 2>&1 ;;",
        "    esac",
        "    echo \"host-signal $2 $3 status=$?\" >>\"$d/host.log\"",
        "  done",
        "}",
    ];

    private static byte[] Source(string name) => CachedBuild.Resource("sdei-conformance/" + name);
}

/// <summary>What the SDEI conformance guest printed: its checks, the host signals it asked for,
/// the host's answers, the VM's events (JSON lines) and its summary.</summary>
public sealed record SdeiConformanceReport(
    IReadOnlyList<string> Passed,
    IReadOnlyList<string> Failed,
    IReadOnlyList<string> Fatal,
    IReadOnlyList<string> Requested,
    IReadOnlyList<(string Signal, int Status)> Answered,
    IReadOnlyList<string> VmEvents,
    (int Passed, int Failed, int Total)? Summary)
{
    /// <summary>Reads the guest's lines and the L1 script's out of <paramref name="output"/>; a
    /// request line not yet whole (no closing mark) is not counted.</summary>
    public static SdeiConformanceReport Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var passed = new List<string>();
        var failed = new List<string>();
        var fatal = new List<string>();
        var requested = new List<string>();
        var answered = new List<(string, int)>();
        var events = new List<string>();
        (int, int, int)? summary = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith("SDEI-CHECK ok ", StringComparison.Ordinal))
            {
                passed.Add(line["SDEI-CHECK ok ".Length..]);
            }
            else if (line.StartsWith("SDEI-CHECK FAIL ", StringComparison.Ordinal))
            {
                failed.Add(line["SDEI-CHECK FAIL ".Length..]);
            }
            else if (line.StartsWith("SDEI-FATAL ", StringComparison.Ordinal))
            {
                fatal.Add(line["SDEI-FATAL ".Length..]);
            }
            else if (line.StartsWith("SDEI-SIGNAL ", StringComparison.Ordinal) && line.EndsWith(" !", StringComparison.Ordinal))
            {
                requested.Add(line["SDEI-SIGNAL ".Length..^2]);
            }
            else if (line.StartsWith("host-signal ", StringComparison.Ordinal) && line.LastIndexOf(" status=", StringComparison.Ordinal) is int at and > 0
                && int.TryParse(line[(at + " status=".Length)..], out int status))
            {
                answered.Add((line["host-signal ".Length..at], status));
            }
            else if (line.StartsWith("vm-event ", StringComparison.Ordinal))
            {
                events.Add(line["vm-event ".Length..]);
            }
            else if (line.StartsWith("SDEI-CONFORMANCE ", StringComparison.Ordinal))
            {
                summary = ParseSummary(line);
            }
        }
        return new SdeiConformanceReport(passed, failed, fatal, requested, answered, events, summary);
    }

    private static (int, int, int)? ParseSummary(string line)
    {
        // SDEI-CONFORMANCE passed=N failed=M of T
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 5 && words[1].StartsWith("passed=", StringComparison.Ordinal) && words[2].StartsWith("failed=", StringComparison.Ordinal)
            && words[3] == "of" && int.TryParse(words[1]["passed=".Length..], out int p) && int.TryParse(words[2]["failed=".Length..], out int f)
            && int.TryParse(words[4], out int t))
        {
            return (p, f, t);
        }
        return null;
    }
}
