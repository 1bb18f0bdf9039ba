using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The shell line that runs `vireo run` inside L1. Console input is typed the way a person
/// would: once the guest console shows a prompt, since a tty discards what was typed ahead
/// while the guest was still setting up its console. A FIFO opened read-write never blocks
/// the open, so vireo starts at once and the typist waits for the prompt in its output.
/// </summary>
public static class L2Command
{
    /// <summary>busybox ash's prompt as root.</summary>
    public const string DefaultPrompt = "# ";

    public static string Build(IEnumerable<string> vireoRunWords, string? input, string prompt = DefaultPrompt)
    {
        string run = string.Join(' ', vireoRunWords.Select(Quote));
        if (input is null)
        {
            return run + " </dev/null";
        }
        string bytes = Convert.ToBase64String(Encoding.UTF8.GetBytes(input));
        return "rm -f /tmp/in /tmp/out; mkfifo /tmp/in; : >/tmp/out; " +
            $"( while ! grep -qF {Quote(prompt)} /tmp/out; do sleep 0.1; done; echo {bytes} | base64 -d ) >/tmp/in & " +
            $"{run} 0<>/tmp/in >/tmp/out 2>&1; s=$?; cat /tmp/out; exit $s";
    }

    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
