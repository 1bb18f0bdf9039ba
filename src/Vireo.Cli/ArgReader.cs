using System.Globalization;

namespace Vireo.Cli;

/// <summary>Reads `--flag`, `--option value` and `--option=value` arguments for one command and
/// rejects anything it was not asked about, naming it. Only the `vireo lab` commands still use it
/// (they are moving to their own tool); everything else is parsed by System.CommandLine.</summary>
internal sealed class ArgReader
{
    private readonly string _command;
    private readonly List<string> _args;

    public ArgReader(string command, IEnumerable<string> args)
    {
        _command = command;
        _args = [];
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                _args.Add(arg[..eq]);
                _args.Add(arg[(eq + 1)..]);
            }
            else
            {
                _args.Add(arg);
            }
        }
    }

    public bool Flag(string name) => _args.Remove(name);

    public string? Option(string name)
    {
        int i = _args.IndexOf(name);
        if (i < 0)
        {
            return null;
        }
        if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException($"{_command}: {name} needs a value");
        }
        string value = _args[i + 1];
        _args.RemoveRange(i, 2);
        return value;
    }

    /// <summary>The first argument that is not an option, removed from the list.</summary>
    public string? Positional()
    {
        int i = _args.FindIndex(a => !a.StartsWith('-'));
        if (i < 0)
        {
            return null;
        }
        string value = _args[i];
        _args.RemoveAt(i);
        return value;
    }

    public uint UInt(string name, uint fallback, uint min, uint max)
    {
        string? text = Option(name);
        if (text is null)
        {
            return fallback;
        }
        string digits = text.Replace("_", "", StringComparison.Ordinal);
        bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(digits.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value)
            : uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || value < min || value > max)
        {
            throw new UsageException($"{_command}: {name} takes a whole number from {min} to {max}, not '{text}'");
        }
        return value;
    }

    /// <summary>Everything not read yet, removed from the list.</summary>
    public string[] TakeRest()
    {
        string[] rest = [.. _args];
        _args.Clear();
        return rest;
    }

    /// <summary>Fails on whatever is left: an unknown option or a stray argument.</summary>
    public void Done()
    {
        if (_args.Count > 0)
        {
            throw new UsageException($"{_command}: unexpected argument '{_args[0]}' (see `vireo {_command} --help`)");
        }
    }
}
