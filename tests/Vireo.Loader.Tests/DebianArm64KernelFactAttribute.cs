namespace Vireo.Loader.Tests;

/// <summary>A fact over Debian's arm64 kernel (linux-image-6.1.0-57-arm64, unpacked by hand to
/// <see cref="Path"/>); never committed, so it skips where the file is absent.</summary>
public sealed class DebianArm64KernelFactAttribute : FactAttribute
{
    public const string Path = "/tmp/apt64/k/boot/vmlinuz-6.1.0-57-arm64";

    public DebianArm64KernelFactAttribute()
    {
        if (!File.Exists(Path))
        {
            Skip = $"{Path} is absent (Debian's linux-image-*-arm64 unpacked there); the synthetic images cover the same rules";
        }
    }
}
