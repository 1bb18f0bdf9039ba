using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vireo.Lab.Tests;

/// <summary>A QMP server on a Unix socket that answers <c>info lapic</c> with what
/// <see cref="Lapic"/> says and counts <c>inject-nmi</c>, standing in for QEMU's.</summary>
internal sealed class FakeQmpServer : IDisposable
{
    /// <summary>The wedge as QEMU 7.2 showed it: LVTT expired, its vector 236 pending in IRR.</summary>
    public const string WedgedLapic = """
        dumping local APIC state for CPU 0

        LVT0	 0x00010700 active-hi edge  masked                      ExtINT (vec 0)
        LVTT	 0x000000ec active-hi edge                 one-shot     Fixed  (vec 236)
        Timer	 DCR=0x3 (divide by 16) initial_count = 116133 current_count = 0
        ISR	 (none)
        IRR	 236

        APR 0x00 TPR 0x10 DFR 0x0f LDR 0x01 PPR 0x10
        """;

    /// <summary>A healthy CPU: the timer re-armed, nothing pending.</summary>
    public const string HealthyLapic = """
        dumping local APIC state for CPU 0

        LVTT	 0x000000ec active-hi edge                 one-shot     Fixed  (vec 236)
        Timer	 DCR=0x3 (divide by 16) initial_count = 116133 current_count = 5120
        ISR	 (none)
        IRR	 (none)
        """;

    private readonly Socket _listener;
    private readonly Task _serving;
    private int _nmis;

    public FakeQmpServer(string path)
    {
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>What <c>info lapic</c> answers; it may change with the NMIs seen so far.</summary>
    public Func<int, string> Lapic { get; set; } = _ => HealthyLapic;

    public int Nmis => Volatile.Read(ref _nmis);

    private async Task ServeAsync()
    {
        try
        {
            using Socket client = await _listener.AcceptAsync();
            using var stream = new NetworkStream(client);
            using var reader = new StreamReader(stream);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            await writer.WriteLineAsync("""{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}}, "capabilities": []}}""");
            while (await reader.ReadLineAsync() is { } line)
            {
                using JsonDocument request = JsonDocument.Parse(line);
                string command = request.RootElement.GetProperty("execute").GetString()!;
                // An asynchronous event first, as QEMU may send one at any time.
                await writer.WriteLineAsync("""{"event": "RTC_CHANGE", "data": {"offset": 0}}""");
                switch (command)
                {
                    case "human-monitor-command":
                        string text = request.RootElement.GetProperty("arguments").GetProperty("command-line").GetString() == "info lapic"
                            ? Lapic(Nmis)
                            : "RIP=ffffffff8e8f882d RFL=00000086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n";
                        await writer.WriteLineAsync($$"""{"return": {{JsonSerializer.Serialize(text)}}}""");
                        break;
                    case "inject-nmi":
                        Interlocked.Increment(ref _nmis);
                        await writer.WriteLineAsync("""{"return": {}}""");
                        break;
                    case "qmp_capabilities":
                        await writer.WriteLineAsync("""{"return": {}}""");
                        break;
                    default:
                        await writer.WriteLineAsync("""{"error": {"class": "CommandNotFound", "desc": "no such command"}}""");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The machine went away.
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Reported nowhere: the test asserts on what the machine saw.
        }
    }
}
