namespace Vireo.VfioUser;

/// <summary>
/// Server-to-client requests (DMA_READ/DMA_WRITE) sent from a device thread while the serving
/// thread keeps reading the socket: the serving thread hands each reply to the request that
/// waits for it, so client commands are served while a device-initiated DMA is outstanding
/// (a client such as QEMU answers DMA only after its own region write got its reply).
/// </summary>
internal sealed class PendingReplies
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, PendingReply> _waiting = [];
    private bool _closed = true;

    /// <summary>A client is connected: requests may be sent.</summary>
    public void Open()
    {
        lock (_lock)
        {
            _closed = false;
        }
    }

    /// <summary>Registers a request about to be sent; null once the client has gone.</summary>
    public PendingReply? Register(ushort id, VfioUserCommand command)
    {
        lock (_lock)
        {
            if (_closed || _waiting.ContainsKey(id))
            {
                return null;
            }
            var reply = new PendingReply(id, command);
            _waiting.Add(id, reply);
            return reply;
        }
    }

    /// <summary>Takes a reply that a registered request waits for (it then owns the message).</summary>
    public bool TryDeliver(ReceivedMessage message)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(message.Header.MessageId, out PendingReply? waiter) || waiter.Command != message.Header.Command)
            {
                return false;
            }
            _waiting.Remove(message.Header.MessageId);
            waiter.Complete(message);
            return true;
        }
    }

    /// <summary>Whether a registered request waits for reply <paramref name="id"/>.</summary>
    public bool IsWaiting(ushort id)
    {
        lock (_lock)
        {
            return _waiting.ContainsKey(id);
        }
    }

    public void Forget(PendingReply reply)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(reply.Id, out PendingReply? current) && ReferenceEquals(current, reply))
            {
                _waiting.Remove(reply.Id);
            }
        }
    }

    /// <summary>The client left: every waiter wakes without a reply, and no more may register.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (PendingReply waiter in _waiting.Values)
            {
                waiter.Complete(null);
            }
            _waiting.Clear();
        }
    }
}
