using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Vireo.Lab;

/// <summary>A running L1: QEMU booted with an image from <see cref="L1ImageBuilder"/>, whose
/// /init takes commands over the serial console. One boot serves many commands, run one at
/// a time; each gets its own begin/end markers and exit status. A timeout kills QEMU.</summary>
public sealed class L1Machine : IAsyncDisposable
{
    private const int TailLines = 40;

    private readonly Process _qemu;
    private readonly L1BootOptions _options;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<string> _console = [];
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly List<string> _failedModules = [];
    private readonly List<string> _wedgeLog = [];
    private int _nextCommandId = 1;
    private bool _stopped;
    private QemuMonitor? _monitor;
    private string? _wedge;
    private int _wedgeChecks;

    private L1Machine(Process qemu, L1BootOptions options)
    {
        _qemu = qemu;
        _options = options;
    }

    /// <summary>Host wall time from starting QEMU to /init's ready marker.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>L1's /proc/uptime when /init became ready, in seconds.</summary>
    public double GuestUptimeAtReady { get; private set; }

    /// <summary>Modules whose insmod failed during boot (paths inside L1).</summary>
    public IReadOnlyList<string> FailedModules => _failedModules;

    /// <summary>Whether QEMU is still running and L1 has not been shut down.</summary>
    public bool IsRunning => !_stopped && !_qemu.HasExited;

    /// <summary>Starts QEMU and waits until L1's /init is ready for commands.</summary>
    public static async Task<L1Machine> BootAsync(L1BootOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (string file in (string[])[options.Kernel, options.Initramfs])
        {
            if (!File.Exists(file))
            {
                throw new LabException($"{file} does not exist");
            }
        }
        string qemuPath = options.Qemu.Contains('/', StringComparison.Ordinal)
            ? options.Qemu
            : ProcessRunner.FindOnPath(options.Qemu)
                ?? throw new LabException($"{options.Qemu} not found; install {options.Architecture.QemuPackage()} (apt-get install -y {options.Architecture.QemuPackage()})");

        var start = new ProcessStartInfo(qemuPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // No BOM: the first bytes L1 reads must be a command line.
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string argument in options.QemuArguments())
        {
            start.ArgumentList.Add(argument);
        }
        var qemu = new Process { StartInfo = start };
        var machine = new L1Machine(qemu, options);
        var clock = Stopwatch.StartNew();
        try
        {
            qemu.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            qemu.Dispose();
            throw new LabException($"cannot start {qemuPath}: {e.Message}", e);
        }
        qemu.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (machine._stderr)
                {
                    machine._stderr.Append(e.Data).Append('\n');
                }
            }
        };
        qemu.BeginErrorReadLine();
        _ = Task.Run(machine.PumpConsoleAsync, CancellationToken.None);

        try
        {
            if (options.QmpSocketPath is { } qmp)
            {
                machine._monitor = await QemuMonitor.ConnectAsync(qmp, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }
            await machine.WaitForReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await machine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        machine.BootTime = clock.Elapsed;
        return machine;
    }

    /// <summary>Runs <paramref name="command"/> with L1's /bin/sh (cwd /root, stdin /dev/null)
    /// and returns its output and exit status. A non-zero status is a result, not an error.
    /// <paramref name="onOutputLine"/> sees each output line as it arrives (for a live view);
    /// it runs on the caller's continuation and must not block.</summary>
    public async Task<LabCommandResult> RunAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default,
        Action<string>? onOutputLine = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfStopped();
            int id = _nextCommandId++;
            var clock = Stopwatch.StartNew();
            string encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(command + "\n"));
            var request = new StringBuilder();
            for (int at = 0; at < encoded.Length; at += LabMarkers.ChunkLength)
            {
                string chunk = encoded.Substring(at, Math.Min(LabMarkers.ChunkLength, encoded.Length - at));
                request.Append(LabMarkers.ChunkVerb).Append(' ').Append(chunk).Append('\n');
            }
            request.Append(LabMarkers.RunVerb).Append(' ').Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n');
            await SendAsync(request.ToString()).ConfigureAwait(false);

            using CancellationTokenSource deadline = Deadline(timeout ?? _options.CommandTimeout, cancellationToken);
            using var watchdogStop = new CancellationTokenSource();
            Task watchdog = WatchForWedgeAsync(deadline, watchdogStop.Token);
            using var stopWatchdog = new WatchdogStopper(watchdogStop, watchdog);
            string what = $"command {id} ({Abbreviate(command)})";
            string idText = id.ToString(CultureInfo.InvariantCulture);
            while (true)
            {
                string line = await NextLineAsync(what, timeout ?? _options.CommandTimeout, deadline.Token, cancellationToken).ConfigureAwait(false);
                if (Marker(line, out _) is [LabMarkers.Begin, var begun] && begun == idText)
                {
                    break;
                }
            }
            var output = new StringBuilder();
            while (true)
            {
                string line = await NextLineAsync(what, timeout ?? _options.CommandTimeout, deadline.Token, cancellationToken).ConfigureAwait(false);
                if (Marker(line, out string before) is [LabMarkers.End, var ended, var status] && ended == idText)
                {
                    // A last line without '\n' ends up in front of the end marker.
                    output.Append(before);
                    if (before.Length > 0)
                    {
                        onOutputLine?.Invoke(before);
                    }
                    return new LabCommandResult(command, int.Parse(status, CultureInfo.InvariantCulture), output.ToString(), clock.Elapsed);
                }
                output.Append(line).Append('\n');
                onOutputLine?.Invoke(line);
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Asks /init to power off and waits for QEMU to exit; kills it if it does not in
    /// time. Returns QEMU's exit code.</summary>
    public async Task<int> ShutdownAsync(TimeSpan? timeout = null)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_qemu.HasExited && !_stopped)
            {
                try
                {
                    await SendAsync(LabMarkers.QuitVerb + "\n").ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // QEMU went away between the check and the write; nothing left to stop.
                }
                using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
                try
                {
                    await _qemu.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Kill();
                    throw new LabTimeoutException($"L1 did not power off within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0} s; QEMU was killed\n{Diagnostics()}");
                }
            }
            _stopped = true;
            await _qemu.WaitForExitAsync().ConfigureAwait(false);
            return _qemu.ExitCode;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>The last serial console lines and QEMU's stderr, for error messages.</summary>
    public string Diagnostics(int lines = TailLines)
    {
        var text = new StringBuilder();
        lock (_console)
        {
            text.Append(CultureInfo.InvariantCulture, $"--- last {Math.Min(lines, _console.Count)} L1 console lines ---\n");
            foreach (string line in _console.Skip(Math.Max(0, _console.Count - lines)))
            {
                text.Append(line).Append('\n');
            }
        }
        lock (_stderr)
        {
            if (_stderr.Length > 0)
            {
                text.Append("--- qemu stderr ---\n").Append(_stderr);
            }
        }
        if (_monitor is not null)
        {
            lock (_wedgeLog)
            {
                text.Append(CultureInfo.InvariantCulture, $"--- L1 wedge watchdog: {_wedgeChecks} checks ---\n");
                _wedgeLog.ForEach(l => text.Append(l).Append('\n'));
            }
        }
        if (KernelLogTail(lines) is { } kernelLog)
        {
            text.Append(CultureInfo.InvariantCulture, $"--- L1 kernel log ({_options.KernelLogPath}), last lines ---\n").Append(kernelLog);
        }
        return text.ToString();
    }

    /// <summary>The last <paramref name="lines"/> lines of L1's kernel log, or null when the
    /// kernel's console is not kept in a file (or it cannot be read).</summary>
    public string? KernelLogTail(int lines = TailLines)
    {
        if (_options.KernelLogPath is not { } path)
        {
            return null;
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var tail = new Queue<string>();
            while (reader.ReadLine() is { } line)
            {
                tail.Enqueue(line.TrimEnd('\r'));
                if (tail.Count > lines)
                {
                    tail.Dequeue();
                }
            }
            return string.Concat(tail.Select(l => l + "\n"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every serial console line so far.</summary>
    public IReadOnlyList<string> ConsoleLines()
    {
        lock (_console)
        {
            return [.. _console];
        }
    }

    /// <summary>Shuts L1 down if it is still running (waiting up to 30 s), kills QEMU if it is still there, and never throws for a failed shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopped && !_qemu.HasExited)
        {
            try
            {
                await ShutdownAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (LabException)
            {
                // Shutdown already killed QEMU; disposing must not throw.
            }
        }
        Kill();
        _monitor?.Dispose();
        _qemu.Dispose();
        _oneAtATime.Dispose();
    }

    private async Task WaitForReadyAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenSource deadline = Deadline(_options.BootTimeout, cancellationToken);
        while (true)
        {
            string line = await NextLineAsync("L1 boot (waiting for /init's ready marker)", _options.BootTimeout, deadline.Token, cancellationToken)
                .ConfigureAwait(false);
            switch (Marker(line, out _))
            {
                case [LabMarkers.InsmodFailed, var module]:
                    _failedModules.Add(module);
                    break;
                case [LabMarkers.Ready, var uptime]:
                    GuestUptimeAtReady = double.TryParse(uptime, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) ? seconds : 0;
                    return;
                default:
                    break;
            }
        }
    }

    private async Task<string> NextLineAsync(string what, TimeSpan limit, CancellationToken deadline, CancellationToken caller)
    {
        try
        {
            return await _lines.Reader.ReadAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            string snapshot = await MonitorSnapshotAsync().ConfigureAwait(false);
            Kill();
            if (_wedge is { } wedge)
            {
                throw new LabTimeoutException($"{what} stopped: {wedge}; QEMU was killed\n{Diagnostics()}{snapshot}");
            }
            throw new LabTimeoutException($"{what} did not finish within {limit.TotalSeconds:0} s; QEMU was killed\n{Diagnostics()}{snapshot}");
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
        catch (ChannelClosedException)
        {
            _stopped = true;
            await _qemu.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new LabException($"QEMU exited (status {_qemu.ExitCode}) during {what}\n{Diagnostics()}");
        }
    }

    private async Task PumpConsoleAsync()
    {
        try
        {
            StreamReader reader = _qemu.StandardOutput;
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_console)
                {
                    _console.Add(line);
                }
                _options.ConsoleEcho?.WriteLine(line);
                _lines.Writer.TryWrite(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // QEMU was killed mid-line; the channel completion below reports it.
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    /// <summary>Where L1's CPU is when it stops answering: switches QEMU's stdio mux to the
    /// monitor (Ctrl-A c) and asks for the registers and the local APIC twice, 2 s apart, so a
    /// halted CPU whose timer never fires can be told from one that spins or one whose serial
    /// transmitter stalled. Best effort; never throws.</summary>
    private async Task<string> MonitorSnapshotAsync()
    {
        if (_monitor is not null)
        {
            string first = await QmpSnapshotAsync("info registers", "info lapic", "info irq").ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            string later = await QmpSnapshotAsync("info registers", "info lapic").ConfigureAwait(false);
            return $"--- qemu monitor (L1's CPU, local APIC, IRQ counts) ---\n{first}--- 2 s later ---\n{later}";
        }
        int from;
        lock (_console)
        {
            from = _console.Count;
        }
        try
        {
            await SendAsync("\u0001c\ninfo registers\ninfo lapic\ninfo irq\n").ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            await SendAsync("info registers\ninfo lapic\n").ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return $"--- qemu monitor unreachable: {e.Message} ---\n";
        }
        var text = new StringBuilder("--- qemu monitor (L1's CPU, local APIC, IRQ counts) ---\n");
        lock (_console)
        {
            foreach (string line in _console.Skip(from))
            {
                text.Append(line).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>What the watchdog has seen: each time L1's CPU sat for a whole check interval
    /// with its timer interrupt pending and undelivered, and what was done about it.</summary>
    public IReadOnlyList<string> WedgeLog
    {
        get
        {
            lock (_wedgeLog)
            {
                return [.. _wedgeLog];
            }
        }
    }

    private static long s_wedgeEvents;

    /// <summary>How often, in this process and over every L1, the watchdog found an L1 wedged
    /// (each nudge, and each wedge that ended a command). A test harness compares it before and
    /// after a test to tell QEMU's wedge from a failure of the test's own.</summary>
    public static long WedgeEvents => Interlocked.Read(ref s_wedgeEvents);

    /// <summary>Counts one watchdog event in <see cref="WedgeEvents"/>.</summary>
    internal static void RecordWedgeEvent() => Interlocked.Increment(ref s_wedgeEvents);

    /// <summary>How many nudges the watchdog gives a wedged L1 before it ends the command.</summary>
    public const int WedgeNudges = 4;

    /// <summary>
    /// The nested lab's known wedge, under QEMU 7.2's TCG: L1's LAPIC timer fires, its vector
    /// sits in the IRR, and the CPU never takes it. Seen two ways: halted in L1's idle loop
    /// (HLT=1, IF=1: the halted vCPU was never woken), and inside the L2 guest spinning with the
    /// guest's interrupts off (the interrupt never forces the #VMEXIT). Either way L1 never runs
    /// again and every later lab test fails. While a command runs this looks at L1's local APIC
    /// every <see cref="L1BootOptions.WedgeCheckInterval"/>; when the timer vector is still
    /// pending one interval later it nudges: first a newline on L1's serial console (an IOAPIC
    /// interrupt, which makes QEMU re-evaluate the APIC and kick the vCPU; /init's command loop
    /// ignores an empty line), then an NMI (which also leaves the guest through its intercept),
    /// alternating, and logs each. After <see cref="WedgeNudges"/> nudges without recovery it ends
    /// the command at once instead of letting it run into its timeout.
    /// </summary>
    private async Task WatchForWedgeAsync(CancellationTokenSource command, CancellationToken stop)
    {
        if (_monitor is null)
        {
            return;
        }
        int pendingChecks = 0;
        int nudges = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(_options.WedgeCheckInterval, stop).ConfigureAwait(false);
                string lapic = await _monitor.HumanCommandAsync("info lapic", stop).ConfigureAwait(false);
                Interlocked.Increment(ref _wedgeChecks);
                if (!TimerInterruptPending(lapic))
                {
                    if (nudges > 0)
                    {
                        AddWedgeLog($"L1 recovered after {nudges} nudge(s)");
                    }
                    pendingChecks = 0;
                    nudges = 0;
                    continue;
                }
                pendingChecks++;
                if (pendingChecks < 2)
                {
                    continue;
                }
                string registers = await _monitor.HumanCommandAsync("info registers", stop).ConfigureAwait(false);
                string rip = registers.Split('\n').FirstOrDefault(l => l.StartsWith("RIP=", StringComparison.Ordinal))?.Trim() ?? "RIP unknown";
                if (nudges >= WedgeNudges)
                {
                    RecordWedgeEvent();
                    _wedge = $"L1 wedged: its timer interrupt stayed pending over {pendingChecks} checks {_options.WedgeCheckInterval.TotalSeconds:0.#} s apart, through {nudges} nudges ({rip})";
                    AddWedgeLog(_wedge);
                    await command.CancelAsync().ConfigureAwait(false);
                    return;
                }
                nudges++;
                RecordWedgeEvent();
                bool serial = nudges % 2 == 1;
                AddWedgeLog($"L1's timer interrupt still pending after {_options.WedgeCheckInterval.TotalSeconds:0.#} s ({rip}): nudge {nudges}, {(serial ? "a serial newline" : "an NMI")}");
                if (serial)
                {
                    await SendAsync("\n").ConfigureAwait(false);
                }
                else
                {
                    await _monitor.InjectNmiAsync(stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The command ended.
        }
#pragma warning disable CA1031 // A watchdog that dies must say why, never take the command with it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            AddWedgeLog($"watchdog stopped after {_wedgeChecks} checks: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>True when <c>info lapic</c> shows the LVT timer's vector pending in the IRR.</summary>
    internal static bool TimerInterruptPending(string infoLapic)
    {
        // By register name, the line's first word: "LVTTHMR" (the thermal LVT) precedes "LVTT".
        string[] lines = infoLapic.Split('\n');
        string? lvtt = lines.FirstOrDefault(l => FirstWord(l) == "LVTT");
        string? irr = lines.FirstOrDefault(l => FirstWord(l) == "IRR");
        if (lvtt is null || irr is null || lvtt.Contains("masked", StringComparison.Ordinal))
        {
            return false;
        }
        int at = lvtt.LastIndexOf("(vec ", StringComparison.Ordinal);
        int end = at < 0 ? -1 : lvtt.IndexOf(')', at);
        if (end < 0 || !int.TryParse(lvtt.AsSpan(at + 5, end - at - 5), NumberStyles.Integer, CultureInfo.InvariantCulture, out int vector))
        {
            return false;
        }
        return irr[3..].Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries)
            .Any(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pending) && pending == vector);
    }

    private static string FirstWord(string line) => line.Split([' ', '\t', '\r'], 2)[0];

    private void AddWedgeLog(string line)
    {
        lock (_wedgeLog)
        {
            _wedgeLog.Add($"{DateTime.UtcNow:HH:mm:ss} {line}");
        }
    }

    private async Task<string> QmpSnapshotAsync(params string[] commands)
    {
        var text = new StringBuilder();
        foreach (string command in commands)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                text.Append("(qmp) ").Append(command).Append('\n').Append(await _monitor!.HumanCommandAsync(command, limit.Token).ConfigureAwait(false));
            }
            catch (Exception e) when (e is LabException or IOException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                text.Append("(qmp) ").Append(command).Append(": ").Append(e.Message).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>Stops a command's watchdog when the command ends, and waits for it.</summary>
    private sealed class WatchdogStopper(CancellationTokenSource stop, Task watchdog) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            try
            {
                watchdog.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Stopped mid-check.
            }
        }
    }

    private async Task SendAsync(string text)
    {
        StreamWriter input = _qemu.StandardInput;
        await input.WriteAsync(text).ConfigureAwait(false);
        await input.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The fields after the marker prefix, or empty; <paramref name="before"/> gets the
    /// text in front of the prefix on the same line.</summary>
    private static string[] Marker(string line, out string before)
    {
        int at = line.IndexOf(LabMarkers.Prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            before = line;
            return [];
        }
        before = line[..at];
        return line[(at + LabMarkers.Prefix.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static CancellationTokenSource Deadline(TimeSpan limit, CancellationToken caller)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(caller);
        source.CancelAfter(limit);
        return source;
    }

    private void ThrowIfStopped()
    {
        if (_stopped || _qemu.HasExited)
        {
            throw new LabException($"L1 is no longer running\n{Diagnostics()}");
        }
    }

    private void Kill()
    {
        _stopped = true;
        try
        {
            if (!_qemu.HasExited)
            {
                _qemu.Kill(entireProcessTree: true);
                _qemu.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    private static string Abbreviate(string command)
    {
        string oneLine = command.ReplaceLineEndings(" ");
        return oneLine.Length <= 60 ? oneLine : oneLine[..57] + "...";
    }
}
