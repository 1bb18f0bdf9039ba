using System.Globalization;
using System.Text.RegularExpressions;

namespace Vireo.Api.Http;

/// <summary>
/// Words an <see cref="ArgumentException"/> from the VM controller's checks for an API client.
/// Its <see cref="Exception.Message"/> carries .NET additions (" (Parameter 'gpe')", a line
/// "Actual value was 200."); the answer keeps the parameter, the value and the controller's own
/// reason: <c>gpe 200 is out of range: GPE numbers run from 0 to 15</c>.
/// </summary>
internal static partial class ArgumentMessage
{
    private static readonly string s_defaultOutOfRange = new ArgumentOutOfRangeException().Message;
    private static readonly string s_defaultArgument = new ArgumentException().Message;

    public static string For(ArgumentException e)
    {
        string? name = string.IsNullOrEmpty(e.ParamName) ? null : e.ParamName;
        object? actual = (e as ArgumentOutOfRangeException)?.ActualValue;
        string? reason = Reason(e, name, actual);
        string value = actual is null ? "" : " " + Convert.ToString(actual, CultureInfo.InvariantCulture);
        if (reason is not null && ThrowIfPhrase().Match(reason) is { Success: true } phrase)
        {
            // ArgumentOutOfRangeException.ThrowIf…: "gpe ('200') must be less than or equal to '15'."
            string rule = phrase.Groups["rule"].Value.Replace("'", "", StringComparison.Ordinal);
            return name is null ? rule : $"{name} {rule}, not{(value.Length > 0 ? value : " " + phrase.Groups["value"].Value)}";
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

    [GeneratedRegex(@"^\w+ \('(?<value>.*)'\) (?<rule>must be .*?)\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex ThrowIfPhrase();
}
