namespace Vireo.Vmm;

/// <summary>A message to the <see cref="ControlLoop"/>: a request from the API or the CLI
/// (<see cref="VmmRequest{TReply}"/>), or news from a device, a vCPU or a timer. Posting one
/// never blocks; the loop handles messages one at a time, in order.</summary>
public abstract class VmmMessage
{
    /// <summary>Answers the sender with an error, if it waits for an answer.</summary>
    internal virtual void Fail(Exception error)
    {
    }
}
