namespace Vireo.Api.Tests;

internal static class TestLimits
{
    /// <summary>Every test's xunit timeout: none may hang the run.</summary>
    public const int TestMs = 30_000;
}
