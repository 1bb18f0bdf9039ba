namespace Vireo.TestSupport;

/// <summary>A fact that needs gcc and the kernel uAPI headers (the C layout oracle). It skips only
/// where gcc is missing; CI has it, so there these always run.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!HostCapabilities.HasGcc)
        {
            Skip = "gcc is not on PATH; layout tests compare against what gcc computes from the C headers";
        }
    }
}
