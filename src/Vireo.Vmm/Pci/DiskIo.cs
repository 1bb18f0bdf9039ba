namespace Vireo.Vmm;

/// <summary>Where a virtio-blk disk's reads and writes run (`--disk …,io=`).</summary>
public enum DiskIo
{
    /// <summary>io_uring where the kernel allows it, else <see cref="Sync"/> (said on the log).</summary>
    Auto,

    /// <summary>An io_uring (<see cref="Virtio.UringBlockIo"/>); the machine fails to build where the kernel refuses it.</summary>
    Uring,

    /// <summary>A pool of four threads doing preadv/pwritev (<see cref="Virtio.ThreadPoolBlockIo"/>).</summary>
    Threads,

    /// <summary>preadv/pwritev on the queue's own thread, one request after another.</summary>
    Sync,
}
