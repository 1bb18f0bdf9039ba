using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_sregs (asm/kvm.h): segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmSregs
{
    /// <summary>Segment registers.</summary>
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss;
    /// <summary>The task register and the local descriptor table register.</summary>
    public KvmSegment Tr, Ldt;
    /// <summary>The global and interrupt descriptor table registers.</summary>
    public KvmDtable Gdt, Idt;
    /// <summary>Control registers; CR8 is the task priority.</summary>
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    /// <summary>IA32_EFER (LME, LMA, NXE, SCE).</summary>
    public ulong Efer;
    /// <summary>IA32_APIC_BASE.</summary>
    public ulong ApicBase;
    /// <summary>
    /// interrupt_bitmap: a pending external interrupt, one bit per vector (at most one set).
    /// </summary>
    public KvmInterruptBitmap InterruptBitmap;
}
