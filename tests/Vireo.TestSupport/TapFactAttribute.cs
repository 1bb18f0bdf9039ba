namespace Vireo.TestSupport;

/// <summary>A fact that needs to create tap interfaces: /dev/net/tun and CAP_NET_ADMIN. It skips,
/// saying why, only where the host lacks one of them; CI runs as root with /dev/net/tun, so there
/// these always run.</summary>
public sealed class TapFactAttribute : FactAttribute
{
    public TapFactAttribute()
    {
        string? why = HostCapabilities.WhyNoTap();
        if (why is not null)
        {
            Skip = why;
        }
    }
}
