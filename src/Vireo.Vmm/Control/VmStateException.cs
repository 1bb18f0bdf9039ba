namespace Vireo.Vmm;

/// <summary>The action is not valid in the VM's current state (pausing a paused VM, waking one
/// that is not suspended). The API answers 409 Conflict with the message.</summary>
public sealed class VmStateException : InvalidOperationException
{
    /// <summary>The action is not valid now, for the reason in <paramref name="message"/>.</summary>
    public VmStateException(string message)
        : base(message)
    {
    }

    /// <summary>The action is not valid now, for the reason in <paramref name="message"/>.</summary>
    public VmStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The action is not valid in the VM's current state.</summary>
    public VmStateException()
        : base("the action is not valid in the VM's current state")
    {
    }
}
