namespace Vireo.Acpi;

/// <summary>Preferred_PM_Profile (ACPI 6.5 §5.2.9, Table 5.9).</summary>
internal enum FadtPmProfile : byte
{
    Unspecified = 0,
    Desktop = 1,
    Mobile = 2,
    Workstation = 3,
    EnterpriseServer = 4,
    SohoServer = 5,
    AppliancePc = 6,
    PerformanceServer = 7,
    Tablet = 8,
}
