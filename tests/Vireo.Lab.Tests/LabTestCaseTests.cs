namespace Vireo.Lab.Tests;

/// <summary>The lab's retry (<see cref="LabTestCase"/>) on xUnit's own runner: a lab test that
/// fails while the wedge watchdog counts an event runs once more, and its second attempt is
/// its result. Without the retry this test fails.</summary>
public sealed class LabTestCaseTests
{
    private static int s_attempts;

    [LabFact]
    public void A_lab_test_that_failed_while_l1_wedged_runs_once_more_and_its_second_attempt_counts()
    {
        int attempt = Interlocked.Increment(ref s_attempts);
        if (attempt == 1)
        {
            L1Machine.RecordWedgeEvent();
            Assert.Fail("the first attempt fails while the watchdog records a wedge");
        }
        Assert.Equal(2, attempt);
    }
}
