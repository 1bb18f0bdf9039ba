using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>This host's KVM cannot do what was asked: /dev/kvm is missing or not accessible,
/// its backend cannot boot a stock guest, or it lacks a capability the command needs. The
/// message names the fix (load a module, join a group, use the nested lab).</summary>
public sealed class KvmUnavailableException : VireoException
{
    /// <summary>KVM cannot be used, for the reason and the fix in <paramref name="message"/>.</summary>
    public KvmUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>KVM cannot be used, for the reason and the fix in <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public KvmUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
