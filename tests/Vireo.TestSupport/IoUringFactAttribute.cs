namespace Vireo.TestSupport;

/// <summary>A fact that needs io_uring. It skips, saying why, only where the kernel refuses to
/// set one up (older than 5.5, built without it, or kernel.io_uring_disabled); CI's kernel has it,
/// so there these always run.</summary>
public sealed class IoUringFactAttribute : FactAttribute
{
    public IoUringFactAttribute()
    {
        string? why = HostCapabilities.WhyNoIoUring();
        if (why is not null)
        {
            Skip = why;
        }
    }
}
