namespace Vireo.Lab.Tests;

/// <summary>A theory that needs Debian tools; skips exactly when <see cref="LabFactAttribute"/> does.</summary>
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute(params string[] programs)
    {
        Skip = LabFactAttribute.SkipReason(programs);
    }
}
