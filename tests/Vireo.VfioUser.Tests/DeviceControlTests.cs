using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>vireo-device's control protocol (notify, wake, status) against the sample device
/// and a real client, and its socket against hostile peers.</summary>
public sealed class DeviceControlTests
{
    private const int Timeout = 60_000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact(Timeout = Timeout)]
    public Task NotifyQueuesEveryCodeInOrderOnIndexFive() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        var control = new DeviceControl(pair.Device, pair.Server);
        using EventFd acpi = EventFd.Create();
        pair.Client.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [acpi]);

        Assert.Equal("""{"ok":true,"queued":3}""", control.Execute("notify 0x80 129 0X2"));
        // A burst of 16 mixed codes, tabs and a CR (a telnet line) between them.
        byte[] burst = [0x80, 0x81, 0x02, 0x03, 0x00, 0xff, 0x90, 0x10, 0x81, 0x80, 0x7f, 0x01, 0xfe, 0x40, 0x82, 0x02];
        Assert.Equal("""{"ok":true,"queued":16}""", control.Execute("notify\t" + string.Join(" ", burst.Select(b => $"0x{b:x2}")) + "\r"));
        byte[] expected = [0x80, 0x81, 0x02, .. burst];
        foreach (byte code in expected)
        {
            Assert.True(AcpiNotification.TryDecode(acpi.Wait(Long), out AcpiNotification n));
            Assert.Equal(0, n.Dropped);
            Assert.Equal(code, n.Code);
        }
        Assert.Equal(0UL, acpi.Wait(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(19, pair.Device.AcpiNotifications);
    });

    public static TheoryData<string, string> BadLines => new()
    {
        { "", "empty line" },
        { "   \r", "empty line" },
        { "notify", "notify takes 1 to 64 codes, not 0" },
        { "notify " + string.Join(" ", Enumerable.Repeat("1", 65)), "notify takes 1 to 64 codes, not 65" },
        { "notify 0x80 256", "'256' is not a code" },
        { "notify 0x80 0x100", "'0x100' is not a code" },
        { "notify 0x", "'0x' is not a code" },
        { "notify -1", "'-1' is not a code" },
        { "notify +5", "'+5' is not a code" },
        { "notify 0x8g", "'0x8g' is not a code" },
        { "notify 99999999999999999999", "'99999999999999999999' is not a code" },
        { "wake now", "wake takes no arguments" },
        { "status please", "status takes no arguments" },
        { "NOTIFY 1", "unknown command 'NOTIFY'" },
        { "reboot", "unknown command 'reboot'" },
        { "\u0001\u00ff\u0000junk", "unknown command '???junk'" },
        { new string('x', 40), "unknown command 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadLines))]
    public Task ABadLineIsAnErrorNamingTheCommandsAndQueuesNothing(string line, string reason) => Task.Run(() =>
    {
        using var pair = new SamplePair();
        var control = new DeviceControl(pair.Device, pair.Server);
        using JsonDocument reply = JsonDocument.Parse(control.Execute(line));
        Assert.False(reply.RootElement.GetProperty("ok").GetBoolean());
        string error = reply.RootElement.GetProperty("error").GetString()!;
        Assert.Contains(reason, error, StringComparison.Ordinal);
        if (!line.StartsWith("notify 0x80 ", StringComparison.Ordinal) && !line.StartsWith("notify ", StringComparison.Ordinal))
        {
            Assert.Contains(DeviceControl.Commands, error, StringComparison.Ordinal);
        }
        Assert.Equal(0, pair.Device.AcpiNotifications);
    });

    [Fact(Timeout = Timeout)]
    public Task StatusSaysWhetherAClientIsConnectedAndAClientThatLeftIsNot() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        var control = new DeviceControl(pair.Device, pair.Server);
        using (JsonDocument before = JsonDocument.Parse(control.Execute("status")))
        {
            Assert.True(before.RootElement.GetProperty("client_connected").GetBoolean());
        }

        pair.Client.Dispose();

        Assert.True(SpinWait.SpinUntil(() => !pair.Server.ClientConnected, Long), "the server still has its client");
        using JsonDocument after = JsonDocument.Parse(control.Execute("status"));
        Assert.False(after.RootElement.GetProperty("client_connected").GetBoolean());
    });

    [Fact(Timeout = Timeout)]
    public Task WakeSignalsTheArmedWakeEventFdAndStatusTellsThePowerStory() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        var control = new DeviceControl(pair.Device, pair.Server);
        Assert.Equal(
            """{"ok":true,"client_connected":true,"low_power":false,"wake_armed":false,"acpi_notify":true,"completed":0,"busy":false,"power_budget":100,"acpi_notifications":0,"low_power_entries":0,"low_power_entries_with_wakeup":0,"low_power_exits":0,"wakes_signalled":0}""",
            control.Execute("status"));
        // Awake: a wake is a no-op that says so.
        Assert.Equal("""{"ok":true,"low_power":false}""", control.Execute("wake"));

        using EventFd wake = EventFd.Create();
        pair.Client.LowPowerEntryWithWakeup(wake);
        using (JsonDocument low = JsonDocument.Parse(control.Execute("status")))
        {
            Assert.True(low.RootElement.GetProperty("low_power").GetBoolean());
            Assert.True(low.RootElement.GetProperty("wake_armed").GetBoolean());
            Assert.Equal(1, low.RootElement.GetProperty("low_power_entries_with_wakeup").GetInt32());
        }
        Assert.Equal("""{"ok":true,"low_power":true}""", control.Execute("wake"));
        Assert.Equal(1UL, wake.Wait(Long));
        Assert.False(pair.Server.IsLowPower);
        Assert.Equal("""{"ok":true,"low_power":false}""", control.Execute("wake"));
        Assert.Equal(0UL, wake.TryRead());

        // Plain low power: the client opted out of wakes, so a wake leaves it low.
        pair.Client.LowPowerEntry();
        Assert.Equal("""{"ok":true,"low_power":true}""", control.Execute("wake"));
        Assert.True(pair.Server.IsLowPower);
        pair.Client.LowPowerExit();
        using JsonDocument status = JsonDocument.Parse(control.Execute("status"));
        JsonElement s = status.RootElement;
        Assert.Equal(1, s.GetProperty("low_power_entries").GetInt32());
        Assert.Equal(1, s.GetProperty("low_power_entries_with_wakeup").GetInt32());
        Assert.Equal(2, s.GetProperty("low_power_exits").GetInt32());
        Assert.Equal(1, s.GetProperty("wakes_signalled").GetInt32());
    });

    [Fact(Timeout = Timeout)]
    public Task StatusSaysWhenTheClientDidNotNegotiateAcpiNotify() => Task.Run(() =>
    {
        using var pair = new SamplePair(new VfioUserClientOptions { AnnounceAcpiNotify = false });
        var control = new DeviceControl(pair.Device, pair.Server);
        using JsonDocument status = JsonDocument.Parse(control.Execute("status"));
        Assert.False(status.RootElement.GetProperty("acpi_notify").GetBoolean());
    });

    [Fact(Timeout = Timeout)]
    public Task ManyLinesOnOneConnectionEachGetOneReplyInOrder() => Task.Run(() =>
    {
        using var served = new ServedControl();
        using var peer = new LinePeer(served.Path);
        // Three lines in one write, the last in two pieces.
        peer.Send("wake\nbogus\r\nnot");
        peer.Send("ify 0x80\n");
        Assert.Equal("""{"ok":true,"low_power":false}""", peer.ReadLine());
        Assert.StartsWith("""{"ok":false,"error":"unknown command 'bogus'""", peer.ReadLine(), StringComparison.Ordinal);
        Assert.Equal("""{"ok":true,"queued":1}""", peer.ReadLine());
        // A line of exactly the limit is a line.
        peer.Send("status" + new string(' ', ControlServer.MaxLineLength - 6) + "\n");
        Assert.StartsWith("""{"ok":true,"client_connected":""", peer.ReadLine(), StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task TheSocketIsOwnerOnly() => Task.Run(() =>
    {
        using var served = new ServedControl();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(served.Path));
    });

    [Fact(Timeout = Timeout)]
    public Task ALineOverOneKibIsRefusedAndTheConnectionClosed() => Task.Run(() =>
    {
        using var served = new ServedControl();
        using (var peer = new LinePeer(served.Path))
        {
            peer.Send("notify " + new string('1', 4000));
            Assert.Equal("""{"ok":false,"error":"line longer than 1024 bytes; closing"}""", peer.ReadLine());
            Assert.True(peer.AtEnd());
        }
        Assert.Equal(0, served.Pair.Device.AcpiNotifications);
        served.AssertStillServes();
    });

    [Fact(Timeout = Timeout)]
    public Task ALineWithoutNewlineIsDroppedAfterFiveSecondsOfSilence() => Task.Run(() =>
    {
        using var served = new ServedControl();
        using var peer = new LinePeer(served.Path);
        var clock = Stopwatch.StartNew();
        peer.Send("notify 0x80");
        // Still open a little later: the limit is 5 s from the line's first byte.
        Thread.Sleep(1000);
        peer.Send(" 0x81");
        Assert.Equal("""{"ok":false,"error":"no newline within 5 s of the line's start; closing"}""", peer.ReadLine());
        TimeSpan waited = clock.Elapsed;
        Assert.True(waited >= TimeSpan.FromSeconds(4.5) && waited < TimeSpan.FromSeconds(8), $"closed after {waited}");
        Assert.True(peer.AtEnd());
        Assert.Equal(0, served.Pair.Device.AcpiNotifications);
    });

    [Fact(Timeout = Timeout)]
    public Task BinaryJunkGetsErrorsAndTheConnectionStillWorks() => Task.Run(() =>
    {
        using var served = new ServedControl();
        using var peer = new LinePeer(served.Path);
        var random = new Random(14);
        byte[] junk = new byte[900];
        random.NextBytes(junk);
        junk = [.. junk.Select(b => b == (byte)'\n' ? (byte)0 : b)];
        junk[300] = (byte)'\n';
        junk[^1] = (byte)'\n';
        peer.Send(junk);
        for (int i = 0; i < 2; i++)
        {
            using JsonDocument reply = JsonDocument.Parse(peer.ReadLine()!);
            Assert.False(reply.RootElement.GetProperty("ok").GetBoolean());
        }
        peer.Send("status\n");
        Assert.StartsWith("""{"ok":true,""", peer.ReadLine(), StringComparison.Ordinal);
        Assert.Equal(0, served.Pair.Device.AcpiNotifications);
    });

    [Fact(Timeout = Timeout)]
    public Task OneConnectionTooManyIsToldAndClosedTheOthersGoOn() => Task.Run(() =>
    {
        using var served = new ServedControl();
        var peers = new List<LinePeer>();
        try
        {
            for (int i = 0; i < ControlServer.MaxConnections; i++)
            {
                var peer = new LinePeer(served.Path);
                peers.Add(peer);
                // Served, not just queued in the backlog.
                peer.Send("wake\n");
                Assert.NotNull(peer.ReadLine());
            }
            using (var extra = new LinePeer(served.Path))
            {
                Assert.Equal("""{"ok":false,"error":"too many control connections (at most 16); try again later"}""", extra.ReadLine());
                Assert.True(extra.AtEnd());
            }
            peers[0].Dispose();
            peers.RemoveAt(0);
            // The freed place is taken again (the server notices the close first).
            Assert.True(SpinUntil(() =>
            {
                using var again = new LinePeer(served.Path);
                again.Send("status\n");
                return again.ReadLine()?.StartsWith("""{"ok":true""", StringComparison.Ordinal) == true;
            }));
            foreach (LinePeer peer in peers)
            {
                peer.Send("status\n");
                Assert.StartsWith("""{"ok":true""", peer.ReadLine(), StringComparison.Ordinal);
            }
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }
    });

    [Fact(Timeout = Timeout)]
    public Task APeerThatLeavesMidReplyEndsOnlyItsOwnConnection() => Task.Run(() =>
    {
        using var served = new ServedControl();
        for (int round = 0; round < 20; round++)
        {
            using var peer = new LinePeer(served.Path);
            // Far more replies than a socket buffer holds, never read: the server's writes fail
            // (EPIPE/ECONNRESET) once the peer is gone.
            peer.Send(string.Concat(Enumerable.Repeat("status\n", 4000)));
        }
        served.AssertStillServes();
        // The replies could not all be sent: the server met the broken stream and only that connection ended.
        Assert.Contains(served.Log, m => m.Contains("sendmsg failed", StringComparison.Ordinal));
    });

    [Fact(Timeout = Timeout)]
    public Task VireoDeviceServesTheControlSocketNextToTheDevice() => Task.Run(() =>
    {
        string socket = TestPaths.Socket();
        string controlPath = TestPaths.Socket();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
        foreach (string arg in new[] { "--socket", socket, "--control", controlPath })
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        try
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            Task<string?> listening = process.StandardOutput.ReadLineAsync();
            Assert.True(listening.Wait(TimeSpan.FromSeconds(30)) && listening.Result == $"listening on {socket}", "vireo-device did not start");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(controlPath));

            using VfioUserClient client = VfioUserClient.Connect(socket);
            using EventFd acpi = EventFd.Create();
            client.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [acpi]);
            using var peer = new LinePeer(controlPath);
            peer.Send("notify 0x80 0x81\n");
            Assert.Equal("""{"ok":true,"queued":2}""", peer.ReadLine());
            foreach (byte code in new byte[] { 0x80, 0x81 })
            {
                Assert.True(AcpiNotification.TryDecode(acpi.Wait(Long), out AcpiNotification n));
                Assert.Equal(code, n.Code);
            }
            using EventFd wake = EventFd.Create();
            client.LowPowerEntryWithWakeup(wake);
            peer.Send("wake\n");
            Assert.Equal("""{"ok":true,"low_power":true}""", peer.ReadLine());
            Assert.Equal(1UL, wake.Wait(Long));
            peer.Send("status\n");
            using JsonDocument status = JsonDocument.Parse(peer.ReadLine()!);
            Assert.True(status.RootElement.GetProperty("acpi_notify").GetBoolean());
            Assert.Equal(1, status.RootElement.GetProperty("wakes_signalled").GetInt32());

            // `vireo-device control`, the client for scripts: a command's reply on stdout, exit 1
            // when the device says no.
            (int notifyStatus, string notifyOut, _) = RunDevice("control", controlPath, "notify", "0x90", "0x91");
            Assert.Equal((0, """{"ok":true,"queued":2}"""), (notifyStatus, notifyOut.Trim()));
            Assert.True(AcpiNotification.TryDecode(acpi.Wait(Long), out AcpiNotification first));
            Assert.Equal(0x90, first.Code);
            (int badStatus, string badOut, _) = RunDevice("control", controlPath, "reboot");
            Assert.Equal(1, badStatus);
            Assert.Contains("unknown command 'reboot'", badOut, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGTERM: the device removes both sockets on the way out.
                using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        }
        Assert.True(process.WaitForExit(15_000));
        Assert.False(File.Exists(socket));
        Assert.False(File.Exists(controlPath));
    });

    [Fact(Timeout = Timeout)]
    public Task ControlToASocketNobodyServesIsAClearError() => Task.Run(() =>
    {
        string missing = TestPaths.Socket();

        (int status, _, string stderr) = RunDevice("control", missing, "status");

        Assert.Equal(1, status);
        Assert.Contains($"control socket {missing}", stderr, StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task ControlToAServerThatNeverAnswersGivesUpWithAClearError() => Task.Run(() =>
    {
        string path = TestPaths.Socket();
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        // Accepts, reads the command, and never answers.
        using var silent = new ManualResetEventSlim();
        var server = Task.Run(() =>
        {
            using System.Net.Sockets.Socket peer = listener.Accept();
            silent.Wait(TimeSpan.FromSeconds(30));
        });

        (int status, _, string stderr) = RunDevice("control", path, "status");
        silent.Set();
        server.Wait(TimeSpan.FromSeconds(10));

        Assert.Equal(1, status);
        Assert.Contains($"control socket {path}", stderr, StringComparison.Ordinal);
    });

    private static (int Status, string Stdout, string Stderr) RunDevice(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        return (process.ExitCode, stdout, stderr.Result);
    }

    [Fact(Timeout = Timeout)]
    public Task HelpDocumentsTheControlSocket() => Task.Run(() =>
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
        start.ArgumentList.Add("--help");
        using Process process = Process.Start(start)!;
        string help = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(0, process.ExitCode);
        foreach (string text in new[] { "--control <PATH>", "notify CODE [CODE ...]", "wake", "status", "\"wakes_signalled\":N", "over 1024 bytes", "within 5 s" })
        {
            Assert.Contains(text, help, StringComparison.Ordinal);
        }
    });

    private static bool SpinUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>The sample device's control socket served in this process.</summary>
    private sealed class ServedControl : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ControlServer _server;
        private readonly Thread _thread;

        public ServedControl()
        {
            Path = TestPaths.Socket();
            _server = ControlServer.Listen(Path, SocketFileAccess.OwnerOnly, new DeviceControl(Pair.Device, Pair.Server).Execute, Log.Enqueue);
            _thread = new Thread(() => _server.Run(_stop.Token)) { IsBackground = true };
            _thread.Start();
        }

        public SamplePair Pair { get; } = new();

        public string Path { get; }

        public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

        /// <summary>A fresh connection is served (once connections being torn down are gone).</summary>
        public void AssertStillServes()
        {
            string? reply = null;
            Assert.True(SpinUntil(() =>
            {
                using var peer = new LinePeer(Path);
                peer.Send("status\n");
                reply = peer.ReadLine();
                return reply?.StartsWith("""{"ok":true""", StringComparison.Ordinal) == true;
            }), reply);
        }

        public void Dispose()
        {
            _stop.Cancel();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(10)), "the control server did not stop");
            _server.Dispose();
            Pair.Dispose();
        }
    }

    /// <summary>A control client reading reply lines with a deadline.</summary>
    private sealed class LinePeer : IDisposable
    {
        private readonly UnixSocket _socket;
        private readonly List<byte> _pending = [];

        public LinePeer(string path) => _socket = UnixSocket.Connect(path);

        public void Send(string text) => Send(Encoding.Latin1.GetBytes(text));

        public void Send(byte[] bytes) => _socket.Send(bytes);

        /// <summary>The next line, or null at end of stream; fails after 10 s without one.</summary>
        public string? ReadLine()
        {
            byte[] buffer = new byte[4096];
            while (true)
            {
                int newline = _pending.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    string line = Encoding.UTF8.GetString([.. _pending.Take(newline)]);
                    _pending.RemoveRange(0, newline + 1);
                    return line;
                }
                Assert.True(Poller.WaitReadable(_socket.Handle, Long), "no reply line within 10 s");
                int n = _socket.Receive(buffer, null, 0, out _);
                if (n == 0)
                {
                    return null;
                }
                _pending.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }

        /// <summary>Whether the server closed the connection (nothing more arrives). Closing with
        /// our bytes still unread, the server resets the stream: that is an end too.</summary>
        public bool AtEnd()
        {
            try
            {
                return _pending.Count == 0 && ReadLine() is null;
            }
            catch (ErrnoException e) when (e.Errno == Errno.ECONNRESET)
            {
                return true;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
