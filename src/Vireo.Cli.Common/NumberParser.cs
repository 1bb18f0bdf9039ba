using System.CommandLine.Parsing;
using System.Globalization;

namespace Vireo.Cli.Common;

/// <summary>Whole-number option values as people write them (decimal, 0x hex, `_` separators),
/// checked against a range; a bad value is a parse error that names the option and the range.</summary>
public static class NumberParser
{
    public static Func<ArgumentResult, long> Range(long min, long max) => result =>
    {
        string text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
        if (TryParse(text, out long value) && value >= min && value <= max)
        {
            return value;
        }
        result.AddError($"{CommandLineErrors.NameOf(result)} takes a whole number from {min} to {max}, not '{text}'");
        return min;
    };

    public static bool TryParse(string text, out long value)
    {
        string digits = text.Replace("_", "", StringComparison.Ordinal);
        return digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
