using System.Globalization;

namespace Vireo.LabTool;

/// <summary>Takes the options one vireo-lab command knows out of its arguments (`--flag`,
/// `--option value`, `--option=value`) and leaves the rest in order: `run` forwards them to
/// `vireo run` in the lab, the other commands refuse them.</summary>
internal sealed class LabArguments(string command, IEnumerable<string> args)
{
    private readonly List<string> _args = [.. args];

    public bool Flag(string name)
    {
        int count = _args.RemoveAll(a => a == name);
        return count > 0;
    }

    /// <summary>The value of <paramref name="name"/>, or null when absent; given twice, or
    /// without a value, is a usage error.</summary>
    public string? Option(string name)
    {
        string? value = null;
        for (int i = 0; i < _args.Count; i++)
        {
            string arg = _args[i];
            string? found = null;
            if (arg == name)
            {
                if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{command}: {name} needs a value");
                }
                found = _args[i + 1];
                _args.RemoveRange(i, 2);
            }
            else if (arg.StartsWith(name + "=", StringComparison.Ordinal))
            {
                found = arg[(name.Length + 1)..];
                _args.RemoveAt(i);
            }
            if (found is null)
            {
                continue;
            }
            if (value is not null)
            {
                throw new UsageException($"{command}: {name} is given twice ('{value}' and '{found}')");
            }
            value = found;
            i--;
        }
        return value;
    }

    /// <summary>Every value of a repeatable option, in the order given.</summary>
    public IReadOnlyList<string> All(string name)
    {
        var values = new List<string>();
        for (int i = 0; i < _args.Count; i++)
        {
            string arg = _args[i];
            if (arg == name)
            {
                if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{command}: {name} needs a value");
                }
                values.Add(_args[i + 1]);
                _args.RemoveRange(i, 2);
                i--;
            }
            else if (arg.StartsWith(name + "=", StringComparison.Ordinal))
            {
                values.Add(arg[(name.Length + 1)..]);
                _args.RemoveAt(i);
                i--;
            }
        }
        return values;
    }

    public uint UInt(string name, uint defaultValue, uint min, uint max)
    {
        string? text = Option(name);
        if (text is null)
        {
            return defaultValue;
        }
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{command}: {name} takes a whole number from {min} to {max}, not '{text}'");
    }

    public T Choice<T>(string name, T defaultValue, IReadOnlyDictionary<string, T> choices)
    {
        string? text = Option(name);
        if (text is null)
        {
            return defaultValue;
        }
        return choices.TryGetValue(text, out T? value)
            ? value
            : throw new UsageException($"{command}: {name} takes {string.Join(" or ", choices.Keys)}, not '{text}'");
    }

    /// <summary>What no option claimed, in the order given.</summary>
    public IReadOnlyList<string> Remaining => _args;

    /// <summary>Refuses anything left over.</summary>
    public void Done()
    {
        if (_args.Count > 0)
        {
            throw new UsageException($"{command}: unexpected argument '{_args[0]}' ({command} --help lists the options)");
        }
    }
}
