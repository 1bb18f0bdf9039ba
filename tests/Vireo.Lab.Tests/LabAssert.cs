using Xunit.Sdk;

namespace Vireo.Lab.Tests;

/// <summary>What every lab run of `vireo run` that ends in a guest power-off must show, and how a
/// failed check keeps the run's output.</summary>
internal static class LabAssert
{
    /// <summary>Runs <paramref name="assertions"/>; a failure among them is reported with
    /// <paramref name="context"/> (the consoles, L1's log) after its own message, since xunit's
    /// messages cut a long value short and a lab run cannot be looked at again.</summary>
    public static void WithContext(string context, Action assertions)
    {
        ArgumentNullException.ThrowIfNull(assertions);
        try
        {
            assertions();
        }
        catch (XunitException failure)
        {
            throw new XunitException(failure.Message + "\n--- the run's output ---\n" + context, failure);
        }
    }

    /// <summary>The guest powered off, and the VMM ran confined as it should all along: no thread
    /// fell back to the seccomp baseline and no unhandled exception escaped.</summary>
    public static void PoweredOffConfined(string output)
    {
        Assert.Contains("vireo: guest powered off", output, StringComparison.Ordinal);
        Assert.DoesNotContain("could not narrow itself", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
