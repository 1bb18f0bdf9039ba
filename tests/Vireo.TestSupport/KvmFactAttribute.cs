namespace Vireo.TestSupport;

/// <summary>A fact that needs a usable /dev/kvm. It skips, saying why, only where the host
/// has none; CI has one, so there these always run.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        string? why = HostCapabilities.WhyNoKvm();
        if (why is not null)
        {
            Skip = why;
        }
    }
}
