namespace Vireo.Sys;

/// <summary>
/// Puts a terminal in raw mode (every key goes straight to the guest, with no echo or line
/// editing by the host) and restores the saved settings when disposed. Does nothing when the
/// descriptor is not a terminal, so piped input keeps working.
/// </summary>
public sealed class RawTerminal : IDisposable
{
    private const int TcsaNow = 0;
    private readonly int _fd;
    private readonly Termios _saved;
    private bool _active;

    private RawTerminal(int fd, Termios saved, bool active)
    {
        _fd = fd;
        _saved = saved;
        _active = active;
    }

    /// <summary>
    /// True when raw mode was entered and will be undone on dispose; false for a non-terminal
    /// descriptor.
    /// </summary>
    public bool IsRaw => _active;

    /// <summary>isatty(3) on <paramref name="fd"/>.</summary>
    public static bool IsTerminal(int fd) => Interop.Sys.IsAtty(fd) == 1;

    /// <summary>The size of the terminal on <paramref name="fd"/> in characters (TIOCGWINSZ), or
    /// null when it is no terminal or reports no size (a serial line's 0 by 0).</summary>
    public static (ushort Columns, ushort Rows)? Size(int fd)
    {
        using SafeFd borrowed = SafeFd.Borrow(fd);
        var size = default(WindowSize);
        if (Ioctl.TryInvoke(borrowed, WindowSize.Get, ref size) < 0 || size.Columns == 0 || size.Rows == 0)
        {
            return null;
        }
        return (size.Columns, size.Rows);
    }

    /// <summary>Raw mode on <paramref name="fd"/> (0 = stdin), keeping ISIG when
    /// <paramref name="keepSignals"/> so Ctrl-C still reaches the host.</summary>
    public static RawTerminal Enter(int fd = 0, bool keepSignals = false)
    {
        if (!IsTerminal(fd))
        {
            return new RawTerminal(fd, default, active: false);
        }
        if (Interop.Sys.TcGetAttr(fd, out Termios saved) != 0)
        {
            throw ErrnoException.FromLastError("tcgetattr");
        }
        Termios raw = saved;
        Interop.Sys.CfMakeRaw(ref raw);
        // Output post-processing stays on so host-side messages still start at column 0.
        raw.OutputFlags = saved.OutputFlags;
        if (keepSignals)
        {
            const uint Isig = 0x1; // termios.h ISIG
            raw.LocalFlags |= saved.LocalFlags & Isig;
        }
        if (Interop.Sys.TcSetAttr(fd, TcsaNow, in raw) != 0)
        {
            throw ErrnoException.FromLastError("tcsetattr");
        }
        return new RawTerminal(fd, saved, active: true);
    }

    /// <summary>
    /// Restores the terminal settings saved when raw mode was entered (no-op if it was not).
    /// </summary>
    public void Dispose()
    {
        if (_active)
        {
            _active = false;
            _ = Interop.Sys.TcSetAttr(_fd, TcsaNow, in _saved);
        }
    }
}
