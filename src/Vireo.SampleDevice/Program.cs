using System.CommandLine;
using System.Runtime.InteropServices;
using Vireo.Cli.Common;
using Vireo.SampleDevice;
using Vireo.VfioUser;

// vireo-device: serves the sample accelerator over vfio-user.
return await DeviceCommandLine.RunAsync(args, Console.Out, Console.Error);

/// <summary>The `vireo-device` command line.</summary>
internal static class DeviceCommandLine
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        // The benchmark reports a child that did not start or a short copy as InvalidOperationException.
        CliRunner.RunAsync(CreateRoot(), args, stdout, stderr, e => e is TimeoutException or InvalidOperationException);

    internal static Command CreateRoot()
    {
        var socket = new Option<string?>("--socket") { HelpName = "PATH", Description = "Serve the device on this UNIX socket (required to serve)." };
        var budget = new Option<long>("--budget-interval-ms")
        {
            HelpName = "N",
            Description = "Every N ms, toggle the device's power budget between 100 and 60 (default 0: never).",
            CustomParser = NumberParser.Range(0, int.MaxValue),
        };
        var control = new Option<string?>("--control")
        {
            HelpName = "PATH",
            Description = "Also listen on this UNIX socket for control commands (notify, wake, status; see below). Same mode, owner and group as --socket.",
        };
        var socketMode = new Option<string?>("--socket-mode") { HelpName = "OCTAL", Description = "The socket's permission bits (default 0600: only this user may connect)." };
        var socketOwner = new Option<string?>("--socket-owner") { HelpName = "USER", Description = "Give the socket to this user (name or uid)." };
        var socketGroup = new Option<string?>("--socket-group") { HelpName = "GROUP", Description = "Give the socket to this group (name or gid)." };
        VireoCommand root = CliRunner.CreateRoot(
            "vireo-device",
            "Serve Vireo's sample accelerator (a DMA copy engine) over vfio-user, or query and benchmark a server.",
            """
            With --socket, serves the device until SIGTERM or SIGINT, printing `listening on PATH`
            once the socket accepts connections (and the control socket, if any, too).

            With --control C, C takes one command per line and answers each with one JSON line:
              notify CODE [CODE ...]  queue ACPI notify codes in order on vfio-user IRQ index 5
                                      (each 0..255, decimal or 0x hex, at most 64 a line;
                                      a bad code refuses the line): {"ok":true,"queued":N}
              wake                    the device asks to leave low power: the client's wake
                                      eventfd fires if it armed one: {"ok":true,"low_power":B}
                                      (B: whether the device was in low power)
              status                  {"ok":true,"low_power":B,"wake_armed":B,"acpi_notify":B,
                                      "completed":N,"busy":B,"power_budget":N,
                                      "acpi_notifications":N,"low_power_entries":N,
                                      "low_power_entries_with_wakeup":N,"low_power_exits":N,
                                      "wakes_signalled":N}
            Anything else: {"ok":false,"error":"..."}. A line over 1024 bytes, or not finished
            within 5 s of its first byte, is answered with an error and the connection closed;
            so is a connection silent for 60 s; at most 16 connections at once. Example: echo 'notify 0x80 0x81' | socat - UNIX:C

            Exit status: 0 on success, 1 when the command failed, 2 when the command line
            is wrong.
            """);
        root.Options.Add(socket);
        root.Options.Add(budget);
        root.Options.Add(control);
        root.Options.Add(socketMode);
        root.Options.Add(socketOwner);
        root.Options.Add(socketGroup);
        root.SetAction(result =>
        {
            string path = result.GetValue(socket) ?? throw new UsageException(
                "give --socket PATH to serve the device, or a command: info, bench (see `vireo-device --help`)");
            // The socket is the device: owner-only (0600) unless the user opens it up.
            var access = new Vireo.Sys.SocketFileAccess(
                result.GetValue(socketMode) is string mode ? Vireo.Sys.SocketFileAccess.ParseMode(mode) : Vireo.Sys.SocketFileAccess.OwnerOnly.Mode,
                result.GetValue(socketOwner),
                result.GetValue(socketGroup));
            Serve(path, result.GetValue(control), result.GetResult(budget) is null ? 0 : (int)result.GetValue(budget), access, result.InvocationConfiguration.Output);
            return 0;
        });

        var infoSocket = new Argument<string>("SOCKET") { Description = "The server's UNIX socket." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var info = new Command("info", "Describe the device served on SOCKET (as `vireo vfio-user info`).") { infoSocket, json };
        info.SetAction(result =>
        {
            VfioUserDeviceReport report = VfioUserInfo.Query(result.GetRequiredValue(infoSocket));
            result.InvocationConfiguration.Output.Write(result.GetValue(json) ? VfioUserInfo.ToJson(report) + Environment.NewLine : VfioUserInfo.ToText(report));
            return 0;
        });
        root.Subcommands.Add(info);

        var count = new Option<long>("--count") { HelpName = "N", Description = "Round trips per round, 2 to 10000000 (default 20000).", CustomParser = NumberParser.Range(2, 10_000_000) };
        var rounds = new Option<long>("--rounds") { HelpName = "R", Description = "Rounds, 1 to 1000 (default 5).", CustomParser = NumberParser.Range(1, 1000) };
        var benchJson = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var bench = new Command("bench", "Time DMA copies through a device server child against an echo peer baseline.") { count, rounds, benchJson };
        bench.SetAction(result =>
        {
            BenchmarkResult report = Benchmark.Run(
                result.GetResult(count) is null ? 20000 : (int)result.GetValue(count),
                result.GetResult(rounds) is null ? 5 : (int)result.GetValue(rounds));
            result.InvocationConfiguration.Output.Write(result.GetValue(benchJson) ? report.ToJson() + Environment.NewLine : report.ToText());
            return 0;
        });
        root.Subcommands.Add(bench);

        var controlSocket = new Argument<string>("CONTROL") { Description = "The control socket (`--control` of a serving vireo-device)." };
        var words = new Argument<string[]>("COMMAND") { Description = "The command and its arguments: notify CODE..., wake, status.", Arity = ArgumentArity.OneOrMore };
        var send = new Command("control", "Send one command to a serving device's control socket and print its JSON reply (exit 1 when it says ok false).") { controlSocket, words };
        send.SetAction(result =>
        {
            string reply = ControlClient.Send(result.GetRequiredValue(controlSocket), string.Join(' ', result.GetRequiredValue(words)), TimeSpan.FromSeconds(5));
            result.InvocationConfiguration.Output.WriteLine(reply);
            return reply.StartsWith("{\"ok\":true", StringComparison.Ordinal) ? 0 : 1;
        });
        root.Subcommands.Add(send);

        // The benchmark's baseline peer, started by `bench` itself: not for people.
        var echoSocket = new Option<string>("--socket") { Required = true };
        var echo = new Command("bench-echo", "The benchmark's baseline peer.") { echoSocket };
        echo.Hidden = true;
        echo.SetAction(result =>
        {
            string path = result.GetRequiredValue(echoSocket);
            EchoPeer.Run(path, () => result.InvocationConfiguration.Output.WriteLine($"listening on {path}"));
            return 0;
        });
        root.Subcommands.Add(echo);
        return root;
    }

    private static void Serve(string socket, string? controlPath, int budgetInterval, Vireo.Sys.SocketFileAccess access, TextWriter stdout)
    {
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device, new VfioUserServerOptions { Log = m => Console.Error.WriteLine($"vireo-device: {m}"), SocketAccess = access });
        uint budget = 100;
        using Timer? budgetTimer = budgetInterval > 0
            ? new Timer(_ => device.SetPowerBudget(budget = budget == 100 ? 60u : 100u), null, budgetInterval, budgetInterval)
            : null;
        // Bound before the device socket, so "listening" means both accept connections.
        using ControlServer? control = controlPath is null
            ? null
            : ControlServer.Listen(controlPath, access, new DeviceControl(device, server).Execute, m => Console.Error.WriteLine($"vireo-device: {m}"));
        var controlThread = control is null ? null : new Thread(() => control.Run(stop.Token)) { Name = "vireo-device control", IsBackground = true };
        controlThread?.Start();
        try
        {
            server.Run(socket, stop.Token, () => stdout.WriteLine($"listening on {socket}"));
        }
        finally
        {
            // The device socket failed or the signal came: the control socket goes too.
            control?.Stop();
            controlThread?.Join(TimeSpan.FromSeconds(10));
        }
    }
}
