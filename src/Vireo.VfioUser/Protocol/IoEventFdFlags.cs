namespace Vireo.VfioUser;

/// <summary>Flags of an ioeventfd entry: the KVM_IOEVENTFD flag bits (linux/kvm.h
/// KVM_IOEVENTFD_FLAG_DATAMATCH = 1 &lt;&lt; kvm_ioeventfd_flag_nr_datamatch, which is 0), so a
/// client can pass them to KVM_IOEVENTFD unchanged.</summary>
[Flags]
public enum IoEventFdFlags : uint
{
    None = 0,
    DataMatch = 1,
}
