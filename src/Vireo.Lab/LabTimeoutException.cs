namespace Vireo.Lab;

/// <summary>L1 did not reach a marker in time; QEMU has been killed.</summary>
public sealed class LabTimeoutException : LabException
{
    /// <summary>A timeout.</summary>
    /// <param name="message">What was awaited and for how long.</param>
    public LabTimeoutException(string message)
        : base(message)
    {
    }
}
