namespace Vireo.Lab;

/// <summary>The nested lab could not be prepared or run. The message names what failed and,
/// where there is one, the fix.</summary>
public class LabException : Exception
{
    /// <summary>A lab failure.</summary>
    /// <param name="message">What failed and, where there is one, the fix.</param>
    public LabException(string message)
        : base(message)
    {
    }

    /// <summary>A lab failure with its cause.</summary>
    /// <param name="message">What failed and, where there is one, the fix.</param>
    /// <param name="inner">The underlying failure.</param>
    public LabException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
