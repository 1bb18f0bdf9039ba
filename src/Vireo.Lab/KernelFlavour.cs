namespace Vireo.Lab;

/// <summary>Debian's kernel flavours the lab can fetch; both are stock `linux-image-*` packages.</summary>
public enum KernelFlavour
{
    /// <summary>linux-image-cloud-amd64: small, the lab's L1 and the default guest.</summary>
    Cloud,

    /// <summary>linux-image-amd64: the generic flavour a distribution installs (more drivers
    /// built in, every driver as a module), for guests that should look like a desktop or server.</summary>
    Generic,
}
