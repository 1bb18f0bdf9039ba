using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

public sealed class TermiosTests
{
    [GccFact]
    public void TermiosMatchesGlibcsLayout()
    {
        CStructLayout layout = CStructLayout.Of<Termios>("struct termios")
            .Field("c_iflag", (ref Termios t) => ref t.InputFlags)
            .Field("c_oflag", (ref Termios t) => ref t.OutputFlags)
            .Field("c_cflag", (ref Termios t) => ref t.ControlFlags)
            .Field("c_lflag", (ref Termios t) => ref t.LocalFlags)
            .Field("c_line", (ref Termios t) => ref t.Line)
            .Field("c_cc", (ref Termios t) => ref t.ControlChars)
            .Field("c_ispeed", (ref Termios t) => ref t.InputSpeed)
            .Field("c_ospeed", (ref Termios t) => ref t.OutputSpeed);

        CLayoutOracle oracle = CLayoutOracle.Run(["termios.h"], [layout], ["ISIG", "NCCS"]);

        Assert.Empty(oracle.Compare(layout));
        Assert.Equal(1UL, oracle.Macro("ISIG"));
        Assert.Equal(32UL, oracle.Macro("NCCS"));
    }

    [GccFact]
    public void WindowSizeMatchesTheKernelsLayout()
    {
        CStructLayout layout = CStructLayout.Of<WindowSize>("struct winsize")
            .Field("ws_row", (ref WindowSize w) => ref w.Rows)
            .Field("ws_col", (ref WindowSize w) => ref w.Columns)
            .Field("ws_xpixel", (ref WindowSize w) => ref w.XPixels)
            .Field("ws_ypixel", (ref WindowSize w) => ref w.YPixels);

        CLayoutOracle oracle = CLayoutOracle.Run(["sys/ioctl.h", "fcntl.h"], [layout], ["TIOCGWINSZ", "TIOCSWINSZ", "TIOCSPTLCK", "TIOCGPTN", "O_NOCTTY"]);

        Assert.Empty(oracle.Compare(layout));
        Assert.Equal(WindowSize.Get, oracle.Macro("TIOCGWINSZ"));
        Assert.Equal(WindowSize.Set, oracle.Macro("TIOCSWINSZ"));
        Assert.Equal(PtyUnlock, oracle.Macro("TIOCSPTLCK"));
        Assert.Equal(PtyNumber, oracle.Macro("TIOCGPTN"));
        Assert.Equal((ulong)OpenFlags.NoCtty, oracle.Macro("O_NOCTTY"));
    }

    private const uint PtyUnlock = 0x40045431; // TIOCSPTLCK
    private const uint PtyNumber = 0x80045430; // TIOCGPTN

    [Fact]
    public void SizeReadsWhatAPseudoTerminalWasSetToAndNothingFromANonTerminal()
    {
        using var master = SafeFd.Open("/dev/ptmx", OpenFlags.ReadWrite | OpenFlags.NoCtty);
        int unlock = 0;
        Ioctl.Invoke(master, PtyUnlock, ref unlock, "TIOCSPTLCK");
        int n = 0;
        Ioctl.Invoke(master, PtyNumber, ref n, "TIOCGPTN");
        using var slave = SafeFd.Open($"/dev/pts/{n}", OpenFlags.ReadWrite | OpenFlags.NoCtty);
        var size = new WindowSize { Rows = 42, Columns = 132 };
        Ioctl.Invoke(master, WindowSize.Set, ref size, "TIOCSWINSZ");

        Assert.Equal(((ushort)132, (ushort)42), RawTerminal.Size(slave.DangerousGetFd()));
        using var devNull = SafeFd.Open("/dev/null", OpenFlags.ReadOnly);
        Assert.Null(RawTerminal.Size(devNull.DangerousGetFd()));
    }

    [Fact]
    public void RawModeIsANoOpWhenInputIsNotATerminal()
    {
        using var devNull = SafeFd.Open("/dev/null", OpenFlags.ReadOnly);

        using RawTerminal raw = RawTerminal.Enter(devNull.DangerousGetFd());

        Assert.False(raw.IsRaw);
        Assert.False(RawTerminal.IsTerminal(devNull.DangerousGetFd()));
    }
}
