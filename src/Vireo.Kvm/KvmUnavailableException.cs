using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>This host's KVM cannot do what was asked: /dev/kvm is missing or not accessible,
/// its backend cannot boot a stock guest, or it lacks a capability the command needs. The
/// message names the fix (load a module, join a group, use the nested lab).</summary>
public sealed class KvmUnavailableException : VireoException
{
    public KvmUnavailableException(string message)
        : base(message)
    {
    }

    public KvmUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
