using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>
/// The control protocol of <c>vireo-device --control</c>: one command line in, one JSON object
/// out, for tests and demos that make the device do what hardware would do on its own.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>notify CODE [CODE ...]</c></term><description>Queues each ACPI notify code
/// (0..255, decimal or 0x hex, at most <see cref="MaxCodesPerLine"/>) in order on IRQ index 5;
/// <c>{"ok":true,"queued":N}</c>. A bad code refuses the whole line, so nothing is half sent.</description></item>
/// <item><term><c>wake</c></term><description>The device asks to leave low power: the client's wake
/// eventfd fires once if it armed one; <c>{"ok":true,"low_power":BEFORE}</c>.</description></item>
/// <item><term><c>status</c></term><description><c>{"ok":true,"low_power":..,"wake_armed":..,
/// "acpi_notify":..,"completed":N,"busy":..,"power_budget":N,"acpi_notifications":N,
/// "low_power_entries":N,"low_power_entries_with_wakeup":N,"low_power_exits":N,"wakes_signalled":N}</c>.</description></item>
/// </list>
/// Anything else answers <c>{"ok":false,"error":"..."}</c> naming the valid commands.
/// </remarks>
public sealed class DeviceControl
{
    /// <summary>The most codes one <c>notify</c> line may carry: the server's default ACPI queue.</summary>
    public const int MaxCodesPerLine = 64;

    /// <summary>The valid commands, as an error reply names them.</summary>
    public const string Commands = "valid commands: notify CODE [CODE ...] (0..255, decimal or 0x hex, at most 64), wake, status";

    private static readonly char[] s_separators = [' ', '\t'];

    private readonly AcceleratorDevice _device;
    private readonly VfioUserServer _server;

    /// <summary>Control of <paramref name="device"/>, served by <paramref name="server"/>.</summary>
    public DeviceControl(AcceleratorDevice device, VfioUserServer server)
    {
        _device = device;
        _server = server;
    }

    /// <summary>Runs one command line (without its newline) and returns the JSON reply (without one).</summary>
    public string Execute(string line)
    {
        string[] words = line.TrimEnd('\r').Split(s_separators, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return Error($"empty line; {Commands}");
        }
        try
        {
            return words[0] switch
            {
                "notify" => Notify(words),
                "wake" when words.Length == 1 => Reply(w => w.WriteBoolean("low_power", _device.RequestWake())),
                "status" when words.Length == 1 => Status(),
                "wake" or "status" => Error($"{words[0]} takes no arguments; {Commands}"),
                _ => Error($"unknown command '{Printable(words[0])}'; {Commands}"),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or VfioUserException or Vireo.Sys.ErrnoException or ObjectDisposedException)
        {
            // The device is not attached, or the server failed to signal: an answer, not a crash.
            return Error(e.Message);
        }
    }

    private string Notify(string[] words)
    {
        int count = words.Length - 1;
        if (count == 0 || count > MaxCodesPerLine)
        {
            return Error($"notify takes 1 to {MaxCodesPerLine} codes, not {count}; {Commands}");
        }
        byte[] codes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            if (!TryParseCode(words[i + 1], out codes[i]))
            {
                return Error($"notify: '{Printable(words[i + 1])}' is not a code 0..255 (decimal or 0x hex); nothing was queued");
            }
        }
        _device.NotifyAcpi(codes);
        return Reply(w => w.WriteNumber("queued", count));
    }

    private string Status()
    {
        VfioUserPowerCounts counts = _server.PowerCounts;
        return Reply(w =>
        {
            w.WriteBoolean("client_connected", _server.ClientConnected);
            w.WriteBoolean("low_power", _server.IsLowPower);
            w.WriteBoolean("wake_armed", _server.WakeArmed);
            w.WriteBoolean("acpi_notify", _server.AcpiNotifyNegotiated);
            w.WriteNumber("completed", _device.Completed);
            w.WriteBoolean("busy", _device.Busy);
            w.WriteNumber("power_budget", _device.PowerBudget);
            w.WriteNumber("acpi_notifications", _device.AcpiNotifications);
            w.WriteNumber("low_power_entries", counts.Entries);
            w.WriteNumber("low_power_entries_with_wakeup", counts.EntriesWithWakeup);
            w.WriteNumber("low_power_exits", counts.Exits);
            w.WriteNumber("wakes_signalled", counts.WakesSignalled);
        });
    }

    /// <summary>0..255 as decimal digits or 0x and hex digits; no sign, no spaces.</summary>
    internal static bool TryParseCode(string text, out byte code)
    {
        code = 0;
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        string digits = hex ? text[2..] : text;
        if (digits.Length == 0 || !uint.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out uint value) || value > byte.MaxValue)
        {
            return false;
        }
        code = (byte)value;
        return true;
    }

    /// <summary>A peer's word as it may be echoed: printable ASCII only, at most 32 characters.</summary>
    private static string Printable(string word)
    {
        var text = new StringBuilder(Math.Min(word.Length, 32));
        foreach (char c in word.AsSpan(0, Math.Min(word.Length, 32)))
        {
            text.Append(c is >= '!' and <= '~' ? c : '?');
        }
        return word.Length > 32 ? text.Append("...").ToString() : text.ToString();
    }

    /// <summary>An error reply: {"ok":false,"error":MESSAGE}.</summary>
    public static string Error(string message) => Json(w =>
    {
        w.WriteBoolean("ok", false);
        w.WriteString("error", message);
    });

    private static string Reply(Action<Utf8JsonWriter> fields) => Json(w =>
    {
        w.WriteBoolean("ok", true);
        fields(w);
    });

    private static string Json(Action<Utf8JsonWriter> fields)
    {
        using var stream = new MemoryStream();
        // Relaxed: the messages are printable ASCII (peer words are cut to it), and a quote
        // reads better as ' than as \u0027 to the person at the other end.
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
