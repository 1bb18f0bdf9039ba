namespace Vireo.Lab.Tests;

/// <summary>The lab's retry (<see cref="LabTestCase"/>) on xUnit's own runner: a lab test that
/// fails while the wedge watchdog counts an event runs again, up to
/// <see cref="LabTestCase.MaxAttempts"/> times, and the attempt that ends it is its result.
/// Without the retry these tests fail.</summary>
public sealed class LabTestCaseTests
{
    private static int s_attempts;
    private static int s_attemptsOfTheTwiceWedged;

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

    [LabFact]
    public void A_lab_test_that_failed_while_l1_wedged_twice_runs_a_third_time_and_that_attempt_counts()
    {
        int attempt = Interlocked.Increment(ref s_attemptsOfTheTwiceWedged);
        if (attempt < 3)
        {
            L1Machine.RecordWedgeEvent();
            Assert.Fail($"attempt {attempt} fails while the watchdog records a wedge");
        }
        Assert.Equal(LabTestCase.MaxAttempts, attempt);
    }
}
