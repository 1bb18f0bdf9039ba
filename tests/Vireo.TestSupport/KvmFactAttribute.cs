namespace Vireo.TestSupport;

/// <summary>A fact that needs a usable /dev/kvm. It skips, saying why, only where the host
/// has none; the lab runs every such test again on L1's kvm-amd (Vireo.Lab.Tests'
/// KvmUnitTestsInL1Tests), so CI runs them even where its host has no /dev/kvm.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        string? why = HostCapabilities.WhyNoKvm();
        if (why is not null)
        {
            Skip = why + HostCapabilities.KvmTestsInTheLab;
        }
    }
}
