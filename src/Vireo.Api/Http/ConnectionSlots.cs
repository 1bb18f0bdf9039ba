using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Vireo.Api.Http;

/// <summary>
/// Keeps the management API reachable however many connections clients hoard.
/// <para>
/// Kestrel's own connection limit refuses the newest connection once the limit is reached, so
/// 100 idle clients (or clients stalled inside a request header) locked <c>vmm.ping</c> out until
/// Kestrel's header and keep-alive timeouts freed them, tens of seconds later. Per-client limits
/// by SO_PEERCRED would not help: the socket is owner-only, so every client is the same user,
/// and one process can hold all the connections. Instead a new connection always gets in: when
/// <see cref="Limit"/> connections are open, the one that has been idle longest — no request in
/// progress, whether it is between keep-alive requests, still sending its header, or has sent
/// nothing — is closed to make room. Connections serving a request (event streams included) are
/// never cut; only when all of them are busy is the new connection refused, with a 503 and a
/// JSON error, so a busy VMM stays bounded.
/// </para>
/// <para>
/// <see cref="OnConnectionAsync"/> runs as Kestrel connection middleware and tracks each
/// connection; <see cref="EnterRequest"/> runs in the HTTP pipeline and marks its connection
/// busy until the request completes.
/// </para>
/// </summary>
internal sealed class ConnectionSlots(int limit)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public int Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit));

    /// <summary>Connections currently tracked (open and admitted).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection => OnConnectionAsync(connection, next);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        ConnectionContext? evicted;
        bool admitted;
        lock (_lock)
        {
            (admitted, evicted) = Admit(connection);
        }
        if (!admitted)
        {
            await RefuseAsync(connection);
            return;
        }
        evicted?.Abort(new ConnectionAbortedException("closed to make room for a new API connection"));
        try
        {
            await next(connection);
        }
        finally
        {
            lock (_lock)
            {
                _slots.Remove(connection.ConnectionId);
            }
        }
    }

    /// <summary>Marks the request's connection busy until the returned scope is disposed.</summary>
    public RequestScope EnterRequest(HttpContext context)
    {
        Slot? slot;
        lock (_lock)
        {
            if (_slots.TryGetValue(context.Connection.Id, out slot))
            {
                slot.Requests++;
            }
        }
        return new RequestScope(this, slot);
    }

    private (bool Admitted, ConnectionContext? Evicted) Admit(ConnectionContext connection)
    {
        ConnectionContext? evicted = null;
        if (_slots.Count >= Limit)
        {
            Slot? idlest = null;
            foreach (Slot slot in _slots.Values)
            {
                if (slot.Requests == 0 && (idlest is null || slot.IdleSince < idlest.IdleSince))
                {
                    idlest = slot;
                }
            }
            if (idlest is null)
            {
                return (false, null);
            }
            _slots.Remove(idlest.Connection.ConnectionId);
            evicted = idlest.Connection;
        }
        _slots[connection.ConnectionId] = new Slot(connection) { IdleSince = Stopwatch.GetTimestamp() };
        return (true, evicted);
    }

    private void Leave(Slot slot)
    {
        lock (_lock)
        {
            slot.Requests--;
            slot.IdleSince = Stopwatch.GetTimestamp();
        }
    }

    private async Task RefuseAsync(ConnectionContext connection)
    {
        byte[] body = ApiJson.Serialize(
            new ErrorBody($"the VMM is serving {Limit} API requests at once, its limit; retry shortly"),
            ApiJsonContext.Default.ErrorBody);
        string head = $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: {ApiJson.ContentType}\r\nContent-Length: {body.Length + 1}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n";
        try
        {
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head));
            await connection.Transport.Output.WriteAsync(body);
            await connection.Transport.Output.WriteAsync("\n"u8.ToArray());
            await connection.Transport.Output.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or InvalidOperationException)
        {
            // The client has gone already; nothing to tell it.
        }
    }

    /// <summary>Ends the busy mark of one request.</summary>
    internal readonly struct RequestScope(ConnectionSlots owner, Slot? slot) : IDisposable
    {
        public void Dispose()
        {
            if (slot is not null)
            {
                owner.Leave(slot);
            }
        }
    }

    internal sealed class Slot(ConnectionContext connection)
    {
        public ConnectionContext Connection { get; } = connection;

        /// <summary>Requests in progress on the connection (HTTP/1.1: 0 or 1).</summary>
        public int Requests { get; set; }

        /// <summary>Stopwatch timestamp of the last time the connection went idle.</summary>
        public long IdleSince { get; set; }
    }
}
