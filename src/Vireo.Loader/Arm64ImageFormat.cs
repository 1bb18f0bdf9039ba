namespace Vireo.Loader;

/// <summary>How an arm64 kernel file held its Image.</summary>
public enum Arm64ImageFormat
{
    /// <summary>The Image itself (Documentation/arch/arm64/booting.rst), as Debian ships it.</summary>
    Image,

    /// <summary>A gzip stream of the Image (Ubuntu's vmlinuz, arch/arm64/boot/Image.gz).</summary>
    Gzip,

    /// <summary>An EFI zboot image (CONFIG_EFI_ZBOOT, Linux 6.1 and later: Fedora) whose payload is a
    /// gzip stream of the Image.</summary>
    EfiZbootGzip,
}
