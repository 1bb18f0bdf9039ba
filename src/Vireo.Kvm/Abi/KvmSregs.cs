using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_sregs (asm/kvm.h): segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss;
    public KvmSegment Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    public ulong Efer;
    public ulong ApicBase;
    public KvmInterruptBitmap InterruptBitmap;
}
