using System.Diagnostics;

namespace Vireo.Lab.Tests;

/// <summary>tools/trx-failures.pl, the end of tools/test.sh's log: each failed test with its
/// message and the test's own frame, from the TRX files, and nothing for a passed one.</summary>
public sealed class TrxFailuresTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Run(params string[] files)
    {
        var start = new ProcessStartInfo(Path.Combine(L1Fixture.RepositoryRoot(), "tools", "trx-failures.pl"))
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string file in files)
        {
            start.ArgumentList.Add(file);
        }
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    [Fact]
    public void A_failed_test_is_named_with_its_message_and_its_own_frame_and_a_passed_one_is_not_named()
    {
        string message = string.Join("&#xD;&#xA;", Enumerable.Range(1, 20).Select(i => $"line {i} &lt;x&gt; &amp; &quot;q&quot;"));
        string trx = $"""
            <TestRun><Results>
            <UnitTestResult testName="T.Quiet" outcome="Passed" />
            <UnitTestResult testName="T.Passes" outcome="Passed"><Output><StdOut>fine</StdOut></Output></UnitTestResult>
            <UnitTestResult testName="T.Fails(n: &quot;a&quot;)" outcome="Failed"><Output><StdOut>minutes of console</StdOut>
            <ErrorInfo><Message>{message}</Message><StackTrace>   at T.Fails() in /ci/tests/Vireo.Lab.Tests/X.cs:line 42&#xD;&#xA;   at Lib.Helper() in /_/src/Lib.cs:line 7</StackTrace></ErrorInfo></Output></UnitTestResult>
            </Results></TestRun>
            """;
        File.WriteAllText(_temp.Combine("a.trx"), trx);

        string[] lines = Run(_temp.Combine("a.trx")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("failed: T.Fails(n: \"a\")", lines[0]);
        Assert.Equal("    line 1 <x> & \"q\"", lines[1]);
        Assert.Equal("    line 12 <x> & \"q\"", lines[12]);
        Assert.Equal("    ... (8 more lines)", lines[13]);
        Assert.Equal("    at T.Fails() in /ci/tests/Vireo.Lab.Tests/X.cs:line 42", lines[14]);
        Assert.Equal(15, lines.Length);
        Assert.DoesNotContain(lines, l => l.Contains("Passes", StringComparison.Ordinal) || l.Contains("Quiet", StringComparison.Ordinal) || l.Contains("Lib.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void No_failures_print_nothing()
    {
        File.WriteAllText(_temp.Combine("b.trx"), """<TestRun><Results><UnitTestResult testName="T.P" outcome="Passed" /></Results></TestRun>""");

        Assert.Equal("", Run(_temp.Combine("b.trx")));
    }
}
