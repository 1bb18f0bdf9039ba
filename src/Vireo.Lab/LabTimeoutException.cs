namespace Vireo.Lab;

/// <summary>L1 did not reach a marker in time; QEMU has been killed.</summary>
public sealed class LabTimeoutException : LabException
{
    public LabTimeoutException(string message)
        : base(message)
    {
    }
}
