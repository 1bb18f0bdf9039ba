namespace Vireo.TestSupport;

/// <summary>A theory that needs a usable /dev/kvm; skips like <see cref="KvmFactAttribute"/>.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute()
    {
        string? why = HostCapabilities.WhyNoKvm();
        if (why is not null)
        {
            Skip = why + HostCapabilities.KvmTestsInTheLab;
        }
    }
}
