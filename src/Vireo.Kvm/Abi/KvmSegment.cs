using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_segment (asm/kvm.h): a segment register with its hidden descriptor cache.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
public struct KvmSegment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type;
    public byte Present, Dpl, Db, S, L, G, Avl;
    public byte Unusable;
}
