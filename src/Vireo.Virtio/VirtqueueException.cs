using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A guest's virtqueue broke the rules of virtio 1.2 §2.7 (a loop, an index out of
/// range, a buffer outside guest RAM, ...). The transport answers it by setting
/// DEVICE_NEEDS_RESET (§2.1.2) and stops serving the device until the driver resets it.</summary>
public sealed class VirtqueueException : VireoException
{
    /// <summary>A violation on queue state described by <paramref name="reason"/>.</summary>
    public VirtqueueException(string reason)
        : base($"virtqueue error: {reason}")
    {
    }

    /// <summary>A violation caused by a failed guest memory access.</summary>
    public VirtqueueException(string reason, Exception? innerException)
        : base($"virtqueue error: {reason}", innerException)
    {
    }
}
