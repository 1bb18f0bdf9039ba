namespace Vireo.Sdei;

/// <summary>A register list given to <see cref="SdeiDispatcher.ImportState"/> is not a state this dispatcher could have had.</summary>
public sealed class SdeiStateException : Exception
{
    public SdeiStateException(string message)
        : base(message)
    {
    }
}
