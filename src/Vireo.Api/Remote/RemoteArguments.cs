using System.Globalization;

namespace Vireo.Api.Remote;

/// <summary>A parsed <c>vireo remote</c> command line.</summary>
internal sealed record RemoteArguments(string SocketPath, string Command, bool Force, int Gpe, long? DelayMs)
{
    public static readonly string[] Commands =
        ["info", "ping", "power-button", "shutdown", "pause", "resume", "gpe", "wake", "events", "openapi"];

    /// <summary>Null when help was asked for.</summary>
    public static RemoteArguments? Parse(IReadOnlyList<string> args)
    {
        string? socket = null;
        string? command = null;
        bool force = false;
        string? gpeText = null;
        string? delayText = null;
        for (int i = 0; i < args.Count; i++)
        {
            (string name, string? inlineValue) = Split(args[i]);
            switch (name)
            {
                case "-h" or "--help":
                    return null;
                case "--api-socket":
                    socket = Value(args, ref i, name, inlineValue);
                    break;
                case "--force" when command == "shutdown" && inlineValue is null:
                    force = true;
                    break;
                case "--delay-ms" when command == "wake":
                    delayText = Value(args, ref i, name, inlineValue);
                    break;
                case "help" when command is null:
                    return null;
                default:
                    if (name.StartsWith('-') && !(command == "gpe" && gpeText is null && IsNumber(name)))
                    {
                        throw new RemoteUsageException(command is null
                            ? $"unknown option '{args[i]}' (see `vireo remote --help`)"
                            : $"{command}: unknown option '{args[i]}' (see `vireo remote --help`)");
                    }
                    if (command is null)
                    {
                        command = Commands.Contains(name)
                            ? name
                            : throw new RemoteUsageException($"unknown command '{name}'; the commands are: {string.Join(", ", Commands)}");
                    }
                    else if (command == "gpe" && gpeText is null)
                    {
                        gpeText = args[i];
                    }
                    else
                    {
                        throw new RemoteUsageException($"{command}: unexpected argument '{args[i]}' (see `vireo remote --help`)");
                    }
                    break;
            }
        }
        if (command is null)
        {
            throw new RemoteUsageException("no command given; try `vireo remote --api-socket PATH info` (see `vireo remote --help`)");
        }
        if (string.IsNullOrEmpty(socket))
        {
            throw new RemoteUsageException($"{command}: --api-socket PATH is required: the path given to `vireo run --api-socket`");
        }
        int gpe = 0;
        if (command == "gpe")
        {
            gpe = gpeText is null
                ? throw new RemoteUsageException("gpe: give the GPE number, 0 to 255, e.g. `gpe 3`")
                : (int)ParseNumber(gpeText, "gpe", "the GPE number", 0, 255);
        }
        long? delayMs = delayText is null ? null : ParseNumber(delayText, "wake", "--delay-ms", 0, 86_400_000);
        return new RemoteArguments(socket, command, force, gpe, delayMs);
    }

    private static (string Name, string? Value) Split(string arg)
    {
        int eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 2 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string name, string? inlineValue)
    {
        if (inlineValue is not null)
        {
            return inlineValue;
        }
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new RemoteUsageException($"{name} needs a value");
        }
        return args[++i];
    }

    private static bool IsNumber(string text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    private static long ParseNumber(string text, string command, string what, long min, long max)
    {
        string digits = text.Replace("_", "", StringComparison.Ordinal);
        bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || value < min || value > max)
        {
            throw new RemoteUsageException($"{command}: {what} takes a whole number from {min} to {max}, not '{text}'");
        }
        return value;
    }
}
