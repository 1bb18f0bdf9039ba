using System.Text;

namespace Vireo.Lab.Tests;

/// <summary>What an L1 fixture did while it set up (publishing, the lab's progress, the boot),
/// one line at a time from whichever thread did it; the tests quote it when L1 did not boot.</summary>
internal sealed class FixtureLog
{
    private readonly StringBuilder _text = new();

    /// <summary>Adds <paramref name="line"/> and a newline, whole: lines from several threads never interleave.</summary>
    public void Append(string line)
    {
        lock (_text)
        {
            _text.Append(line).Append('\n');
        }
    }

    /// <summary>Every line so far.</summary>
    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}
