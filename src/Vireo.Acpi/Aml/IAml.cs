namespace Vireo.Acpi;

/// <summary>An AML term, data object or resource descriptor that renders its own bytes
/// (ACPI 6.5 §20). Devices implement it to contribute to the DSDT.</summary>
public interface IAml
{
    /// <summary>Appends this term's AML encoding to <paramref name="sink"/>.</summary>
    void AppendTo(AmlSink sink);
}
