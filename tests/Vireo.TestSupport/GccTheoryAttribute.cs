namespace Vireo.TestSupport;

/// <summary>The theory form of <see cref="GccFactAttribute"/>.</summary>
public sealed class GccTheoryAttribute : TheoryAttribute
{
    public GccTheoryAttribute()
    {
        if (!HostCapabilities.HasGcc)
        {
            Skip = "gcc is not on PATH; layout tests compare against what gcc computes from the C headers";
        }
    }
}
