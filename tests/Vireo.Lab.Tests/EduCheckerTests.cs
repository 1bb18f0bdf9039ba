using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The edu checker's result lines (guest/vireo-edu), as tests read them back.</summary>
public sealed class EduCheckerTests
{
    [Fact]
    public void The_edu_checkers_lines_parse_into_checks_outcomes_reasons_and_fields()
    {
        string log = """
            [    3.100000] vireo_edu 0000:00:03.0: irq 11 (intx), DMA at 0x0000000001234000 and 0x0000000001235000
            [    3.200000] vireo_edu 0000:00:03.0: id ok value=0x010000ed version=1.0
            vireo_edu 0000:00:03.0: liveness ok wrote=0x5a5a0001 read=0xa5a5fffe\r
            vireo_edu 0000:00:03.0: factorial ok n=12 result=479001600
            vireo_edu 0000:00:03.0: dma FAILED: copy differs bytes=2048 first_difference=12
            vireo_edu 0000:00:03.0: irq ok raised=10 irqs=10 spurious=0 mode=intx
            vireo_edu 0000:00:03.0: checks FAILED passed=4 failed=1 mode=intx
            vireo_sample 0000:00:04.0: dma ok rounds=1 irqs=2 spurious=0 completions=2 mode=msix
            """.Replace("\\r", "\r", StringComparison.Ordinal);

        IReadOnlyList<EduCheckLine> lines = EduChecker.Parse(log);

        Assert.Equal(EduChecker.Checks, lines.Select(l => l.Check));
        Assert.All(lines, l => Assert.Equal("0000:00:03.0", l.Address));
        Assert.Equal([true, true, true, false, true, false], lines.Select(l => l.Ok));
        Assert.Equal("0x010000ed", lines[0].Fields["value"]);
        Assert.Equal("0xa5a5fffe", lines[1].Fields["read"]);
        Assert.Equal("copy differs", lines[3].Reason);
        Assert.Equal("2048", lines[3].Fields["bytes"]);
        Assert.Equal("12", lines[3].Fields["first_difference"]);
        Assert.Equal("", lines[4].Reason);
        Assert.Equal("10", lines[4].Fields["irqs"]);
        Assert.Equal("1", lines[5].Fields["failed"]);
    }

    [Fact]
    public void The_checkers_runtime_resume_failure_is_not_taken_for_a_check()
    {
        // The module's wording when a resumed edu no longer identifies as one (vireo_edu.c's
        // ve_runtime_resume): the write to run then fails before any check runs.
        string log = """
            [   40.000000] vireo_edu 0000:00:03.0: runtime resume: identification reads 0xffffffff, not an edu
            [   41.000000] vireo_edu 0000:00:03.0: id ok value=0x010000ed version=1.0
            """;

        EduCheckLine line = Assert.Single(EduChecker.Parse(log));

        Assert.Equal("id", line.Check);
        Assert.True(line.Ok);
    }
}
