namespace Vireo.VfioUser;

/// <summary>One outstanding server-to-client request and, once it came, its reply.</summary>
internal sealed class PendingReply : IDisposable
{
    private readonly ManualResetEventSlim _done = new();
    private ReceivedMessage? _message;

    public PendingReply(ushort id, VfioUserCommand command)
    {
        Id = id;
        Command = command;
    }

    public ushort Id { get; }

    public VfioUserCommand Command { get; }

    /// <summary>The reply (owned by the caller), or null when the client left or time ran out.</summary>
    public ReceivedMessage? Wait(TimeSpan timeout)
    {
        _done.Wait(timeout);
        return Interlocked.Exchange(ref _message, null);
    }

    internal void Complete(ReceivedMessage? message)
    {
        _message = message;
        _done.Set();
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _message, null)?.Dispose();
        _done.Dispose();
    }
}
