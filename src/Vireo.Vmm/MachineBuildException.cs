namespace Vireo.Vmm;

/// <summary>The machine could not be assembled from its configuration: a bad kernel or initramfs
/// is reported by the loader's own exception, everything else (resources, devices, KVM refusing a
/// setting) by this one, with what was being built. The builder releases everything it had
/// created before throwing it.</summary>
public class MachineBuildException : Vireo.Sys.VireoException
{
    /// <summary>What could not be built, in <paramref name="message"/>.</summary>
    public MachineBuildException(string message)
        : base(message)
    {
    }

    /// <summary>What could not be built, in <paramref name="message"/>, and the failure underneath.</summary>
    public MachineBuildException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
