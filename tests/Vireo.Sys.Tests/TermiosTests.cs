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

    [Fact]
    public void RawModeIsANoOpWhenInputIsNotATerminal()
    {
        using var devNull = SafeFd.Open("/dev/null", OpenFlags.ReadOnly);

        using RawTerminal raw = RawTerminal.Enter(devNull.DangerousGetFd());

        Assert.False(raw.IsRaw);
        Assert.False(RawTerminal.IsTerminal(devNull.DangerousGetFd()));
    }
}
