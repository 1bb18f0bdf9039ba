using System.Text.RegularExpressions;

namespace Vireo.Lab;

/// <summary>The guest-side checker for QEMU's edu device (guest/vireo-edu, vireo_edu.ko): the
/// default guest carries it at <see cref="GuestPath"/>, not loaded at boot. Loaded with
/// `insmod GUEST-PATH [irq_mode=intx|msi] [irqs=N]`, it checks every edu it finds and logs one
/// line per check (id, liveness, factorial, dma, irq) and a summary (checks), which
/// <see cref="Parse"/> reads back from dmesg or a console log.</summary>
public static partial class EduChecker
{
    /// <summary>Where the default guest's initramfs holds the module.</summary>
    public const string GuestPath = "/lib/vireo/vireo_edu.ko";

    /// <summary>The module's name in the kernel (and the prefix of its log lines).</summary>
    public const string ModuleName = "vireo_edu";

    /// <summary>The checks in the order the module runs them, then the summary line's name.</summary>
    public static readonly string[] Checks = ["id", "liveness", "factorial", "dma", "irq", "checks"];

    /// <summary>The checker's result lines in <paramref name="log"/> (dmesg, or a console with
    /// timestamps and "\r"), in order; other lines are skipped.</summary>
    public static IReadOnlyList<EduCheckLine> Parse(string log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var lines = new List<EduCheckLine>();
        foreach (string raw in log.Split('\n'))
        {
            Match match = ResultLine().Match(raw.TrimEnd('\r'));
            if (!match.Success)
            {
                continue;
            }
            // After the outcome: for a failure ": REASON WORDS", then key=value words.
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var reason = new List<string>();
            foreach (string word in match.Groups["tail"].Value.TrimStart(':').Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = word.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    fields[word[..equals]] = word[(equals + 1)..];
                }
                else if (fields.Count == 0)
                {
                    reason.Add(word);
                }
            }
            lines.Add(new EduCheckLine(match.Groups["address"].Value, match.Groups["check"].Value,
                match.Groups["outcome"].Value == "ok", string.Join(' ', reason), fields));
        }
        return lines;
    }

    // "vireo_edu 0000:00:03.0: dma ok bytes=4096" or "... dma FAILED: copy differs bytes=4096 ...",
    // possibly after a "[   12.345678] " timestamp.
    [GeneratedRegex(@"vireo_edu (?<address>[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): (?<check>id|liveness|factorial|dma|irq|checks) (?<outcome>ok|FAILED)(?<tail>(?::| ).*)?$")]
    private static partial Regex ResultLine();
}
