namespace Vireo.TestSupport;

/// <summary>A fact that needs ACPICA's iasl/acpiexec/acpibin. It skips, saying so, only where
/// they are not installed; with VIREO_REQUIRE_ACPICA=1 (CI) it runs and fails instead.</summary>
public sealed class AcpicaFactAttribute : FactAttribute
{
    public AcpicaFactAttribute()
    {
        string? why = Acpica.WhyMissing();
        if (why is not null)
        {
            Skip = why;
        }
    }
}
