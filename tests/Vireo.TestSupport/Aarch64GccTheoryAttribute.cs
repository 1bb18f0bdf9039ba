namespace Vireo.TestSupport;

/// <summary>The theory form of <see cref="Aarch64GccFactAttribute"/>.</summary>
public sealed class Aarch64GccTheoryAttribute : TheoryAttribute
{
    public Aarch64GccTheoryAttribute()
    {
        if (CTarget.Aarch64.Missing() is string missing)
        {
            Skip = $"the arm64 layout oracle is not available: {missing}";
        }
    }
}
