namespace Vireo.Lab;

/// <summary>The nested lab could not be prepared or run. The message names what failed and,
/// where there is one, the fix.</summary>
public class LabException : Exception
{
    public LabException(string message)
        : base(message)
    {
    }

    public LabException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
