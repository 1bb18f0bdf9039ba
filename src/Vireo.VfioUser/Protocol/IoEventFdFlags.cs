namespace Vireo.VfioUser;

/// <summary>Flags of an ioeventfd entry: the KVM_IOEVENTFD flag bits (linux/kvm.h
/// KVM_IOEVENTFD_FLAG_DATAMATCH = 1 &lt;&lt; kvm_ioeventfd_flag_nr_datamatch, which is 0), so a
/// client can pass them to KVM_IOEVENTFD unchanged.</summary>
[Flags]
public enum IoEventFdFlags : uint
{
    /// <summary>The eventfd fires on any write to the range.</summary>
    None = 0,
    /// <summary>The eventfd fires only on a write of the entry's datamatch value.</summary>
    DataMatch = 1,
}
