namespace Vireo.Lab.Tests;

/// <summary>What every lab run of `vireo run` that ends in a guest power-off must show.</summary>
internal static class LabAssert
{
    /// <summary>The guest powered off, and the VMM ran confined as it should all along: no thread
    /// fell back to the seccomp baseline and no unhandled exception escaped.</summary>
    public static void PoweredOffConfined(string output)
    {
        Assert.Contains("vireo: guest powered off", output, StringComparison.Ordinal);
        Assert.DoesNotContain("could not narrow itself", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
