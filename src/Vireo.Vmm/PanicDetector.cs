using System.Text;

namespace Vireo.Vmm;

/// <summary>
/// Watches the guest console for Linux's panic banner. A guest booted with panic=-1 reboots at
/// once after a panic, which looks like any other reboot to the VMM; the banner on the console
/// is what tells the two apart, so `vireo run` can end non-zero with the panic line.
/// </summary>
public sealed class PanicDetector
{
    private const string Banner = "Kernel panic - not syncing";
    private const int MaxLine = 1024;
    private readonly StringBuilder _line = new();

    /// <summary>The first panic line seen, without the kernel's timestamp prefix.</summary>
    public string? PanicLine { get; private set; }

    /// <summary>Feeds console output, in order.</summary>
    public void Observe(ReadOnlySpan<byte> output)
    {
        if (PanicLine is not null)
        {
            return;
        }
        foreach (byte b in output)
        {
            if (b == (byte)'\n')
            {
                CheckLine();
                _line.Clear();
            }
            else if (b != (byte)'\r' && _line.Length < MaxLine)
            {
                _line.Append((char)b);
            }
        }
    }

    private void CheckLine()
    {
        string line = _line.ToString();
        int at = line.IndexOf(Banner, StringComparison.Ordinal);
        if (at >= 0)
        {
            PanicLine = line[at..].TrimEnd();
        }
    }
}
