using System.Globalization;
using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>
/// The device agent: a small privileged process that holds the policy and the host's VFIO, so the
/// VMM holds neither. It listens on a UNIX socket; each connection asks for one device
/// (<see cref="AgentRequest"/>), and the agent judges it by the user id the kernel reports for the
/// connection (<see cref="UnixSocket.GetPeerCredentials"/>) against the <see cref="AgentPolicy"/>,
/// has the <see cref="IAgentDeviceSource"/> check the IOMMU group's viability and open it, and
/// passes the descriptors back (SCM_RIGHTS). Every decision is one line on the log, grant or refusal.
/// </summary>
/// <remarks>Threads: one accept thread; each connection is served on the thread pool, at most
/// <see cref="MaxConnections"/> at once (more are told the agent is busy), and a connection that
/// sends no whole request within <see cref="RequestTimeout"/> is closed, so a silent or slow peer
/// holds nothing for long.</remarks>
public sealed class AgentServer : IDisposable
{
    /// <summary>Connections served at once.</summary>
    public const int MaxConnections = 16;

    private readonly UnixSocket _listener;
    private readonly string _path;
    private readonly AgentPolicy _policy;
    private readonly IAgentDeviceSource _source;
    private readonly TextWriter _log;
    private readonly Lock _logGate = new();
    private readonly Thread _acceptThread;
    private readonly CountdownEvent _active = new(1);
    private int _connections;
    private int _disposed;

    private AgentServer(UnixSocket listener, string path, AgentPolicy policy, IAgentDeviceSource source, TextWriter log, TimeSpan requestTimeout)
    {
        _listener = listener;
        _path = path;
        _policy = policy;
        _source = source;
        _log = log;
        RequestTimeout = requestTimeout;
        _acceptThread = new Thread(AcceptLoop) { Name = "agent-accept", IsBackground = true };
    }

    /// <summary>How long a connection may take to send its request.</summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>Requests granted so far.</summary>
    public int Granted => Volatile.Read(ref _granted);

    /// <summary>Requests refused so far (bad requests, policy, devices).</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _granted;
    private int _refused;

    /// <summary>Listens at <paramref name="path"/> (created with <paramref name="access"/>, 0666 by
    /// default: any local user may ask, and the policy decides) and starts serving.</summary>
    public static AgentServer Start(string path, AgentPolicy policy, IAgentDeviceSource source, TextWriter log, SocketFileAccess? access = null, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(log);
        access ??= new SocketFileAccess(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        UnixSocket listener = UnixSocket.Listen(path, UnixSocket.MaxBacklog, access);
        var server = new AgentServer(listener, path, policy, source, log, requestTimeout ?? TimeSpan.FromSeconds(5));
        server._acceptThread.Start();
        return server;
    }

    /// <summary>Stops accepting, waits for the connections being served, removes the socket.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _listener.Shutdown();
        _acceptThread.Join();
        _active.Signal();
        _active.Wait(RequestTimeout + TimeSpan.FromSeconds(5));
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Someone else's file now, or already gone: nothing of ours to clean.
        }
    }

    private void AcceptLoop()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            UnixSocket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (ErrnoException) when (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }
            catch (ErrnoException e)
            {
                // Out of descriptors or memory, or a peer that left before accept: not the
                // agent's end; pause so a persistent failure does not spin.
                Log($"accept failed ({e.Message}); going on");
                Thread.Sleep(100);
                continue;
            }
            if (Interlocked.Increment(ref _connections) > MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                using (connection)
                {
                    TrySend(connection, AgentReply.Refused($"the agent is serving {MaxConnections} requests already; try again"), null);
                }
                Interlocked.Increment(ref _refused);
                Log("refused a connection: busy");
                continue;
            }
            _active.AddCount();
            ThreadPool.UnsafeQueueUserWorkItem(
                c =>
                {
                    try
                    {
                        Serve(c);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _connections);
                        _active.Signal();
                    }
                },
                connection,
                preferLocal: false);
        }
    }

    private void Serve(UnixSocket connection)
    {
        using (connection)
        {
            PeerCredentials peer;
            try
            {
                peer = connection.GetPeerCredentials();
            }
            catch (ErrnoException e)
            {
                Log($"cannot tell who connected ({e.Message}); closed");
                return;
            }
            string who = string.Create(CultureInfo.InvariantCulture, $"uid {peer.Uid} (pid {peer.Pid})");
            AgentRequest request;
            try
            {
                byte[] line = AgentLine.Read(connection, AgentRequest.MaxBytes, RequestTimeout);
                request = AgentRequest.Decode(line);
            }
            catch (Exception e) when (e is TimeoutException or FormatException or ErrnoException)
            {
                Refuse(connection, who, "a request", $"not a request: {e.Message}");
                return;
            }
            string what = $"{request.Device} for VM '{request.Vm}'";
            AgentDeviceGroup device;
            try
            {
                device = _source.Resolve(request.Device);
            }
            catch (AgentDeviceException e)
            {
                Refuse(connection, who, what, e.Message);
                return;
            }
            if (_policy.Refusal(peer.Uid, request.Vm, device) is string refusal)
            {
                Refuse(connection, who, what, refusal);
                return;
            }
            AgentOpenedDevice opened;
            try
            {
                opened = _source.Open(device, request.Backend);
            }
            catch (AgentDeviceException e)
            {
                Refuse(connection, who, what, e.Message);
                return;
            }
            using (opened)
            {
                var reply = new AgentReply(true, null, device.Address, device.Group, opened.Backend, [.. opened.Fds.Select(f => f.Role)], opened.Ioas);
                if (TrySend(connection, reply, [.. opened.Fds.Select(f => f.Fd)]) is string failure)
                {
                    Interlocked.Increment(ref _refused);
                    Log($"{who}: {what} granted, but the reply failed ({failure}); its descriptors are closed");
                    return;
                }
            }
            Interlocked.Increment(ref _granted);
            Log(string.Create(CultureInfo.InvariantCulture, $"{who}: granted {device.Address} (IOMMU group {device.Group}, {opened.Backend} backend) for VM '{request.Vm}'"));
        }
    }

    private void Refuse(UnixSocket connection, string who, string what, string reason)
    {
        Interlocked.Increment(ref _refused);
        Log($"{who}: refused {what}: {reason}");
        TrySend(connection, AgentReply.Refused(reason), null);
    }

    private static string? TrySend(UnixSocket connection, AgentReply reply, SafeFd[]? fds)
    {
        try
        {
            connection.Send(reply.Encode(), fds);
            // Closing with the peer's bytes unread would reset the connection and could cost the
            // peer the reply; take what it already sent (without waiting for more) first.
            connection.ShutdownWrite();
            Span<byte> sink = stackalloc byte[4096];
            for (int i = 0; i < 16 && Poller.WaitReadable(connection.Handle, TimeSpan.Zero); i++)
            {
                if (connection.Receive(sink, null, 0, out _) <= 0)
                {
                    break;
                }
            }
            return null;
        }
        catch (ErrnoException e)
        {
            // The peer left: a refusal it does not read costs nothing; a grant's fds are ours to close.
            return e.Message;
        }
    }

    private void Log(string line)
    {
        lock (_logGate)
        {
            _log.WriteLine($"vireo agent: {line}");
            _log.Flush();
        }
    }
}
