using System.Globalization;

namespace Vireo.Api.Http;

/// <summary>
/// Words an <see cref="ArgumentException"/> from the VM controller's checks for an API client.
/// Its <see cref="Exception.Message"/> carries .NET additions (" (Parameter 'gpe')", a line
/// "Actual value was 200."); the answer keeps the parameter, the value and the controller's own
/// reason: <c>gpe 200 is out of range: GPE numbers run from 0 to 15</c>.
/// </summary>
internal static class ArgumentMessage
{
    private static readonly string s_defaultOutOfRange = new ArgumentOutOfRangeException().Message;
    private static readonly string s_defaultArgument = new ArgumentException().Message;

    // The parameter name before " ('": letters, digits and underscores.
    private static readonly System.Buffers.SearchValues<char> s_word =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    public static string For(ArgumentException e)
    {
        string? name = string.IsNullOrEmpty(e.ParamName) ? null : e.ParamName;
        object? actual = (e as ArgumentOutOfRangeException)?.ActualValue;
        string? reason = Reason(e, name, actual);
        string value = actual is null ? "" : " " + Convert.ToString(actual, CultureInfo.InvariantCulture);
        if (reason is not null && TryThrowIfPhrase(reason, out string phraseValue, out string phraseRule))
        {
            string rule = phraseRule.Replace("'", "", StringComparison.Ordinal);
            return name is null ? rule : $"{name} {rule}, not{(value.Length > 0 ? value : " " + phraseValue)}";
        }
        return (name, reason) switch
        {
            (not null, not null) when e is ArgumentOutOfRangeException => $"{name}{value} is out of range: {reason}",
            (not null, null) when e is ArgumentOutOfRangeException => $"{name}{value} is out of range",
            (not null, not null) => $"invalid {name}{value}: {reason}",
            (not null, null) => $"invalid {name}{value}",
            (null, not null) => reason,
            _ => "invalid argument",
        };
    }

    /// <summary>The message the thrower wrote, without what .NET appended; null if it wrote none.</summary>
    private static string? Reason(ArgumentException e, string? name, object? actual)
    {
        string message = e.Message;
        if (actual is not null)
        {
            int newline = message.IndexOf('\n', StringComparison.Ordinal);
            message = newline < 0 ? message : message[..newline].TrimEnd('\r');
        }
        string suffix = $" (Parameter '{name}')";
        if (name is not null && message.EndsWith(suffix, StringComparison.Ordinal))
        {
            message = message[..^suffix.Length];
        }
        message = message.Trim();
        return message.Length == 0 || message == s_defaultOutOfRange || message == s_defaultArgument
            ? null
            : message.TrimEnd('.');
    }

    /// <summary>Splits the phrase of ArgumentOutOfRangeException.ThrowIf…, "gpe ('200') must be less
    /// than or equal to '15'.", into the value and the rule. Plain string handling rather than a
    /// regular expression: this was the binary's only one, and the regex engine is not small.</summary>
    private static bool TryThrowIfPhrase(string reason, out string value, out string rule)
    {
        value = rule = "";
        int open = reason.IndexOf(" ('", StringComparison.Ordinal);
        int close = reason.LastIndexOf("') must be ", StringComparison.Ordinal);
        if (open <= 0 || close < open + 3 || reason.Contains('\n', StringComparison.Ordinal)
            || reason.AsSpan(0, open).ContainsAnyExcept(s_word))
        {
            return false;
        }
        value = reason[(open + 3)..close];
        rule = reason[(close + 3)..];
        rule = rule.EndsWith('.') ? rule[..^1] : rule;
        return true;
    }
}
