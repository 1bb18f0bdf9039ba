using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_segment (asm/kvm.h): a segment register with its hidden descriptor cache.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
public struct KvmSegment
{
    /// <summary>The segment base address.</summary>
    public ulong Base;
    /// <summary>The segment limit, in bytes (already scaled when <see cref="G"/> is set).</summary>
    public uint Limit;
    /// <summary>The visible selector.</summary>
    public ushort Selector;
    /// <summary>
    /// The descriptor type field (e.g. 0xb for an accessed execute/read code segment).
    /// </summary>
    public byte Type;
    /// <summary>
    /// Descriptor bits: present, privilege level, default size, S (code/data), long mode,
    /// granularity, available.
    /// </summary>
    public byte Present, Dpl, Db, S, L, G, Avl;
    /// <summary>
    /// Nonzero when the segment is unusable (a null selector loaded), as VMX reports it.
    /// </summary>
    public byte Unusable;
}
