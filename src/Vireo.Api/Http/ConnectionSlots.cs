using System.Diagnostics;

namespace Vireo.Api.Http;

/// <summary>
/// Keeps the management API reachable however many connections clients hoard.
/// <para>
/// A limit that refuses the newest connection once reached (Kestrel's, which this server had
/// before) let 100 idle clients, or clients stalled inside a request header, lock
/// <c>vmm.ping</c> out until timeouts freed them, tens of seconds later. Per-client limits by
/// SO_PEERCRED would not help: the socket is owner-only, so every client is the same user, and
/// one process can hold all the connections. Instead a new connection always gets in: when
/// <see cref="Limit"/> connections are open, the one that has been idle longest — no request in
/// progress, whether it is between keep-alive requests, still sending its header, or has sent
/// nothing — is closed to make room. Connections serving a request (event streams included) are
/// never cut; only when all of them are busy is the new one refused (the server answers 503), so
/// a busy VMM stays bounded.
/// </para>
/// </summary>
internal sealed class ConnectionSlots(int limit)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<HttpConnection, Slot> _slots = new(ReferenceEqualityComparer.Instance);
    private bool _stopping;

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

    /// <summary>Whether <see cref="Stop"/> was called: answers say Connection: close.</summary>
    public bool IsStopping
    {
        get
        {
            lock (_lock)
            {
                return _stopping;
            }
        }
    }

    /// <summary>Admits <paramref name="connection"/>, making room by evicting the longest-idle
    /// connection (which the caller aborts); false when every connection is busy.</summary>
    public bool TryAdmit(HttpConnection connection, out HttpConnection? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            if (_stopping)
            {
                return false;
            }
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
                    return false;
                }
                _slots.Remove(idlest.Connection);
                evicted = idlest.Connection;
            }
            _slots[connection] = new Slot(connection) { IdleSince = Stopwatch.GetTimestamp() };
            return true;
        }
    }

    public void Remove(HttpConnection connection)
    {
        lock (_lock)
        {
            _slots.Remove(connection);
        }
    }

    /// <summary>Marks the connection busy: a request head has arrived.</summary>
    public void EnterRequest(HttpConnection connection)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(connection, out Slot? slot))
            {
                slot.Requests++;
            }
        }
    }

    /// <summary>Marks the connection idle again; false when the server is stopping and the
    /// connection should close instead.</summary>
    public bool LeaveRequest(HttpConnection connection)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(connection, out Slot? slot))
            {
                slot.Requests--;
                slot.IdleSince = Stopwatch.GetTimestamp();
            }
            return !_stopping;
        }
    }

    /// <summary>Admits no more connections and aborts the idle ones; the busy ones close after
    /// their answer. Returns every connection still open, to wait for.</summary>
    public IReadOnlyList<HttpConnection> Stop()
    {
        List<HttpConnection> open;
        List<HttpConnection> idle = [];
        lock (_lock)
        {
            _stopping = true;
            open = [.. _slots.Keys];
            foreach (Slot slot in _slots.Values)
            {
                if (slot.Requests == 0)
                {
                    idle.Add(slot.Connection);
                }
            }
        }
        foreach (HttpConnection connection in idle)
        {
            connection.Abort();
        }
        return open;
    }

    private sealed class Slot(HttpConnection connection)
    {
        public HttpConnection Connection { get; } = connection;

        /// <summary>Requests in progress on the connection (0 or 1: requests are served in order).</summary>
        public int Requests { get; set; }

        /// <summary>Stopwatch timestamp of the last time the connection went idle.</summary>
        public long IdleSince { get; set; }
    }
}
