namespace Vireo.TestSupport;

/// <summary>A fact that checks a device tree against dtc (Debian's device-tree-compiler). It skips
/// only where dtc is missing; CI installs it, so there these always run.</summary>
public sealed class DtcFactAttribute : FactAttribute
{
    public DtcFactAttribute()
    {
        if (!HostCapabilities.HasDtc)
        {
            Skip = "dtc is not on PATH (apt-get install device-tree-compiler); device tree tests decode the blobs with it";
        }
    }
}
