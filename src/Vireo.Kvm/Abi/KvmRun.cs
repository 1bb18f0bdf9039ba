using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_run (linux/kvm.h): the page shared with the kernel at offset 0 of the vCPU
/// mmap. Its layout is the same on x86-64 and arm64 (both layout-tested) except debug.arch,
/// which is x86's here. The exit union starts at <see cref="ExitUnionOffset"/>; only the members a VMM
/// reads are modelled. Read it through <see cref="VcpuExit"/>, which cannot outlive the mapping.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2352)]
internal struct KvmRun
{
    /// <summary>offsetof(struct kvm_run, io): the exit union after the 32-byte header.</summary>
    internal const int ExitUnionOffset = 32;

    /// <summary>offsetof(struct kvm_run, mmio.data).</summary>
    internal const int MmioDataOffset = ExitUnionOffset + 8;

    [FieldOffset(0)] public byte RequestInterruptWindow;
    [FieldOffset(1)] public byte ImmediateExit;
    [FieldOffset(8)] public KvmExitReason ExitReason;
    [FieldOffset(12)] public byte ReadyForInterruptInjection;
    [FieldOffset(13)] public byte IfFlag;
    [FieldOffset(14)] public ushort Flags;
    [FieldOffset(16)] public ulong Cr8;
    [FieldOffset(24)] public ulong ApicBase;

    [FieldOffset(ExitUnionOffset)] public ulong HardwareExitReason;
    [FieldOffset(ExitUnionOffset)] public KvmRunFailEntry FailEntry;
    [FieldOffset(ExitUnionOffset)] public KvmRunIo Io;
    [FieldOffset(ExitUnionOffset)] public KvmDebugExitArch Debug;
    [FieldOffset(ExitUnionOffset)] public KvmRunMmio Mmio;
    [FieldOffset(ExitUnionOffset)] public KvmRunHypercall Hypercall;
    [FieldOffset(ExitUnionOffset)] public KvmRunInternalError Internal;
    [FieldOffset(ExitUnionOffset)] public KvmRunSystemEvent SystemEvent;

    [FieldOffset(288)] public ulong KvmValidRegs;
    [FieldOffset(296)] public ulong KvmDirtyRegs;
}
