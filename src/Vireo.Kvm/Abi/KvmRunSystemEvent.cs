using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.system_event (linux/kvm.h), valid for KVM_EXIT_SYSTEM_EVENT.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRunSystemEvent
{
    /// <summary>KVM_SYSTEM_EVENT_SHUTDOWN (1), _RESET (2), _CRASH (3), ...</summary>
    public uint Type;
    public uint Ndata;
    public KvmRunDataWords Data;
}
