using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_clock_data (linux/kvm.h): the VM's kvmclock, in nanoseconds.</summary>
[StructLayout(LayoutKind.Sequential, Size = 48)]
internal struct KvmClockData
{
    public ulong Clock;
    public uint Flags;
    public uint Pad0;
    public ulong Realtime;
    public ulong HostTsc;
}
