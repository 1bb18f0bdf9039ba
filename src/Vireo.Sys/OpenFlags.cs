namespace Vireo.Sys;

/// <summary>open(2) flags (asm-generic/fcntl.h, x86-64 values).</summary>
[Flags]
public enum OpenFlags
{
    ReadOnly = 0,
    WriteOnly = 1,
    ReadWrite = 2,
    NonBlocking = 0x800,
    CloseOnExec = 0x80000,
}
