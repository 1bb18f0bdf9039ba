namespace Vireo.Sdei;

/// <summary>A register list given to <see cref="SdeiDispatcher.ImportState"/> is not a state this dispatcher could have had.</summary>
public sealed class SdeiStateException : Exception
{
    /// <summary>A refused state import.</summary>
    /// <param name="message">Which register or value is impossible, and why.</param>
    public SdeiStateException(string message)
        : base(message)
    {
    }
}
