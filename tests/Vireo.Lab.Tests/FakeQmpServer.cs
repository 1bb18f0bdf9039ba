using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vireo.Lab.Tests;

/// <summary>A QMP server on a Unix socket that answers <c>info lapic</c> with what
/// <see cref="Lapic"/> says and counts <c>inject-nmi</c>, standing in for QEMU's.</summary>
internal sealed class FakeQmpServer : IDisposable
{
    /// <summary>The wedge as QEMU 7.2 showed it in CI, byte for byte (CRLF line ends): LVTT
    /// expired, its vector 236 pending in IRR, ISR empty; the masked thermal LVT (LVTTHMR) comes
    /// first, which a prefix match on "LVTT" took for the timer.</summary>
    public const string WedgedLapic =
        "dumping local APIC state for CPU 0 \r\n\r\n" +
        "LVT0\t 0x00010700 active-hi edge  masked                      ExtINT (vec 0)\r\n" +
        "LVT1\t 0x00000400 active-hi edge                              NMI   \r\n" +
        "LVTPC\t 0x00010000 active-hi edge  masked                      Fixed  (vec 0)\r\n" +
        "LVTERR\t 0x000000fe active-hi edge                              Fixed  (vec 254)\r\n" +
        "LVTTHMR\t 0x00010000 active-hi edge  masked                      Fixed  (vec 0)\r\n" +
        "LVTT\t 0x000000ec active-hi edge                 one-shot     Fixed  (vec 236)\r\n" +
        "Timer\t DCR=0x3 (divide by 16) initial_count = 156420 current_count = 0\r\n" +
        "SPIV\t 0x000001ff APIC enabled, focus=off, spurious vec 255\r\n" +
        "ICR\t 0x000008fd logical edge de-assert no-shorthand\r\n" +
        "ICR2\t 0x01000000 mask 00000001 (APIC ID)\r\n" +
        "ESR\t 0x00000000\r\n" +
        "ISR\t (none)\r\n" +
        "IRR\t 236 \r\n" +
        "\r\n" +
        "APR 0x00 TPR 0x10 DFR 0x0f LDR 0x01 PPR 0x10\r\n";

    /// <summary>A healthy CPU: the timer re-armed, nothing pending.</summary>
    public const string HealthyLapic = """
        dumping local APIC state for CPU 0

        LVTTHMR	 0x00010000 active-hi edge  masked                      Fixed  (vec 0)
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
