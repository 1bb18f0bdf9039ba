using System.CommandLine.Parsing;
using System.Globalization;

namespace Vireo.Cli.Common;

/// <summary>Whole-number option values as people write them (decimal, 0x hex, `_` separators),
/// checked against a range; a bad value is a parse error that names the option and the range.</summary>
public static class NumberParser
{
    /// <summary>A custom parser for an option that takes a whole number from <paramref name="min"/> to <paramref name="max"/>; anything else becomes a parse error naming the option and the range.</summary>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
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

    /// <summary>Parses a non-negative whole number in decimal or with a 0x prefix in hex, ignoring <c>_</c> separators; no sign, no spaces.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="value">The number; 0 when the result is false.</param>
    /// <returns>False when <paramref name="text"/> is not such a number or does not fit a <see cref="long"/>.</returns>
    public static bool TryParse(string text, out long value)
    {
        string digits = text.Replace("_", "", StringComparison.Ordinal);
        return digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
