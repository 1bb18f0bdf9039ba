namespace Vireo.Sys;

/// <summary>open(2) flags (asm-generic/fcntl.h, x86-64 values).</summary>
[Flags]
public enum OpenFlags
{
    /// <summary>O_RDONLY.</summary>
    ReadOnly = 0,
    /// <summary>O_WRONLY.</summary>
    WriteOnly = 1,
    /// <summary>O_RDWR.</summary>
    ReadWrite = 2,
    /// <summary>O_NOCTTY: opening a terminal does not make it the caller's controlling terminal.</summary>
    NoCtty = 0x100,
    /// <summary>O_NONBLOCK: calls return EAGAIN instead of blocking.</summary>
    NonBlocking = 0x800,
    /// <summary>O_DIRECT: reads and writes bypass the page cache; buffers, offsets and lengths
    /// must be aligned (<see cref="FileStorage.GetDirectIoAlignment"/>).</summary>
    Direct = 0x4000,
    /// <summary>
    /// O_CLOEXEC: the descriptor is not inherited by exec'd children (hooks, device processes).
    /// </summary>
    CloseOnExec = 0x80000,
}
