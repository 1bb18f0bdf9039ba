using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The shell line that runs `vireo run` inside L1. Console input is typed the way a person
/// would: once the guest console shows a prompt, since a tty discards what was typed ahead
/// while the guest was still setting up its console. Kernel log lines (<c>[   8.6] ...</c>) are
/// not looked at: "pci 0000:00:01.0: PME# supported from D3hot D3cold" has the prompt's "# " in
/// it, and typing at that line lost the first lines of input (the lab's "dropped bytes"). A FIFO opened read-write never blocks
/// the open, so vireo starts at once; its output goes through tee, live to L1's console and
/// into a file where the typist waits for the prompt.
/// </summary>
public static class L2Command
{
    /// <summary>busybox ash's prompt as root.</summary>
    public const string DefaultPrompt = "# ";

    /// <summary>The shell line that runs vireo and, when <paramref name="input"/> is given, types it on the guest console once <paramref name="prompt"/> appears; its exit status is vireo's.</summary>
    /// <param name="vireoRunWords">The vireo command line, one word each; each is quoted.</param>
    /// <param name="input">What to type on the guest console; null gives vireo /dev/null for input.</param>
    /// <param name="prompt">The text that means the console is ready for input.</param>
    public static string Build(IEnumerable<string> vireoRunWords, string? input, string prompt = DefaultPrompt)
    {
        string run = string.Join(' ', vireoRunWords.Select(Quote));
        if (input is null)
        {
            return run + " </dev/null";
        }
        string bytes = Convert.ToBase64String(Encoding.UTF8.GetBytes(input));
        // busybox ash has no PIPESTATUS: vireo's status travels through a file.
        return "rm -f /tmp/in /tmp/out /tmp/status; mkfifo /tmp/in; : >/tmp/out; " +
            $"( while ! grep -v '^\\[' /tmp/out | grep -qF {Quote(prompt)}; do sleep 0.1; done; echo {bytes} | base64 -d ) >/tmp/in & t=$!; " +
            $"{{ {run} 0<>/tmp/in 2>&1; echo $? >/tmp/status; }} | tee /tmp/out; " +
            "kill $t 2>/dev/null; s=$(cat /tmp/status 2>/dev/null); exit ${s:-1}";
    }

    /// <summary>Quotes <paramref name="word"/> for a POSIX shell: single quotes, with each embedded quote closed, escaped and reopened.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
