using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>A saved vGICv3 register list that <see cref="KvmVgicV3State.Restore"/> refuses before
/// writing anything: it is not the list <see cref="KvmVgicV3State.Save"/> makes for the GIC it is
/// given (another vCPU count or interrupt count, a register missing, added or moved, a value too
/// wide for its register). The message names the first entry that is wrong.</summary>
public sealed class KvmVgicStateException : VireoException
{
    /// <summary>A refused register list, for the reason in <paramref name="message"/>.</summary>
    public KvmVgicStateException(string message)
        : base(message)
    {
    }
}
