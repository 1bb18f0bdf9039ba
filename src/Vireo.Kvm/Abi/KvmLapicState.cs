using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_lapic_state (asm/kvm.h): the local APIC register page.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmLapicState
{
    /// <summary>
    /// The local APIC register page (KVM_APIC_REG_SIZE = 1024 bytes), registers at their xAPIC MMIO
    /// offsets.
    /// </summary>
    public KvmLapicRegisters Regs;

    /// <summary>The 32-bit register at <paramref name="offset"/> (e.g. 0x80 TPR), little endian.</summary>
    public readonly uint GetRegister(int offset)
    {
        ReadOnlySpan<byte> regs = Regs;
        return BinaryPrimitives.ReadUInt32LittleEndian(regs.Slice(offset, sizeof(uint)));
    }

    /// <summary>
    /// Writes the 32-bit register at <paramref name="offset"/> (e.g. 0x350 LVT LINT0), little
    /// endian.
    /// </summary>
    public void SetRegister(int offset, uint value)
    {
        Span<byte> regs = Regs;
        BinaryPrimitives.WriteUInt32LittleEndian(regs.Slice(offset, sizeof(uint)), value);
    }
}
