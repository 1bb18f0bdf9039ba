using System.Runtime.InteropServices;
using Vireo.SampleDevice;
using Vireo.VfioUser;

// vireo-device: serves the sample accelerator over vfio-user.
//   vireo-device --socket PATH [--budget-interval-ms N] [--socket-mode OCTAL] [--socket-owner USER] [--socket-group GROUP]
//   vireo-device info SOCKET [--json]
//   vireo-device bench [--count N] [--rounds R] [--json]
//   vireo-device bench-echo --socket PATH      (the benchmark's baseline peer)
try
{
    if (args.Length >= 2 && args[0] == "info")
    {
        VfioUserDeviceReport report = VfioUserInfo.Query(args[1]);
        Console.Write(args.Contains("--json") ? VfioUserInfo.ToJson(report) + Environment.NewLine : VfioUserInfo.ToText(report));
        return 0;
    }
    if (args.Length >= 1 && args[0] == "bench")
    {
        int count = Option(args, "--count") is string n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 20000;
        int rounds = Option(args, "--rounds") is string r ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : 5;
        BenchmarkResult result = Benchmark.Run(count, rounds);
        Console.Write(args.Contains("--json") ? result.ToJson() + Environment.NewLine : result.ToText());
        return 0;
    }
    if (args.Length == 3 && args[0] == "bench-echo" && args[1] == "--socket")
    {
        EchoPeer.Run(args[2], () => Console.WriteLine($"listening on {args[2]}"));
        return 0;
    }
    string socket = Option(args, "--socket") ?? throw new ArgumentException("usage: vireo-device --socket PATH [--budget-interval-ms N] [--socket-mode OCTAL] [--socket-owner USER] [--socket-group GROUP] | info SOCKET [--json] | bench [--count N] [--rounds R] [--json]");
    int budgetInterval = Option(args, "--budget-interval-ms") is string ms ? int.Parse(ms, System.Globalization.CultureInfo.InvariantCulture) : 0;
    using var stop = new CancellationTokenSource();
    using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    using var device = new AcceleratorDevice();
    // The socket is the device: owner-only (0600) unless the user opens it up.
    var access = new Vireo.Sys.SocketFileAccess(
        Option(args, "--socket-mode") is string mode ? Vireo.Sys.SocketFileAccess.ParseMode(mode) : Vireo.Sys.SocketFileAccess.OwnerOnly.Mode,
        Option(args, "--socket-owner"),
        Option(args, "--socket-group"));
    var server = new VfioUserServer(device, new VfioUserServerOptions { Log = m => Console.Error.WriteLine($"vireo-device: {m}"), SocketAccess = access });
    uint budget = 100;
    using Timer? budgetTimer = budgetInterval > 0
        ? new Timer(_ => device.SetPowerBudget(budget = budget == 100 ? 60u : 100u), null, budgetInterval, budgetInterval)
        : null;
    server.Run(socket, stop.Token, () => Console.WriteLine($"listening on {socket}"));
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidOperationException or VfioUserException or VfioUserDisconnectedException or Vireo.Sys.ErrnoException or TimeoutException or IOException)
{
    Console.Error.WriteLine($"vireo-device: {e.Message}");
    return 1;
}

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
