using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_pic_state (asm/kvm.h): one 8259A of the in-kernel PIC pair.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmPicState
{
    public byte LastIrr;
    public byte Irr;
    public byte Imr;
    public byte Isr;
    public byte PriorityAdd;
    public byte IrqBase;
    public byte ReadRegSelect;
    public byte Poll;
    public byte SpecialMask;
    public byte InitState;
    public byte AutoEoi;
    public byte RotateOnAutoEoi;
    public byte SpecialFullyNestedMode;
    public byte Init4;
    public byte Elcr;
    public byte ElcrMask;
}
