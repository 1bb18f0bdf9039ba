using Xunit.Sdk;

namespace Vireo.Lab.Tests;

public sealed class LabAssertTests
{
    [Fact]
    public void A_failed_check_is_reported_with_its_own_message_and_the_whole_output_after_it()
    {
        string output = "=== console 0\n" + new string('x', 5000) + "\nthe-last-line";

        XunitException failure = Assert.ThrowsAny<XunitException>(
            () => LabAssert.WithContext(output, () => Assert.Contains("never-printed", output, StringComparison.Ordinal)));

        Assert.StartsWith("Assert.Contains() Failure", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("--- the run's output ---\n" + output, failure.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<XunitException>(failure.InnerException);
    }

    [Fact]
    public void Passing_checks_throw_nothing_and_others_exceptions_pass_through_unchanged()
    {
        int ran = 0;
        LabAssert.WithContext("output", () => { Assert.True(true); ran++; });
        Assert.Equal(1, ran);

        var bug = new InvalidOperationException("not an assertion");
        Assert.Same(bug, Assert.Throws<InvalidOperationException>(() => LabAssert.WithContext("output", () => throw bug)));
    }
}
