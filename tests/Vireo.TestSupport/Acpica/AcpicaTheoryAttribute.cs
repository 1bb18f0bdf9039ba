namespace Vireo.TestSupport;

/// <summary>The theory form of <see cref="AcpicaFactAttribute"/>.</summary>
public sealed class AcpicaTheoryAttribute : TheoryAttribute
{
    public AcpicaTheoryAttribute()
    {
        string? why = Acpica.WhyMissing();
        if (why is not null)
        {
            Skip = why;
        }
    }
}
