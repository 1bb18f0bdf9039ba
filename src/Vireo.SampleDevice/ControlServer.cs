using System.Text;
using Vireo.Sys;

namespace Vireo.SampleDevice;

/// <summary>
/// Serves <see cref="DeviceControl"/> on a UNIX socket: one command per line (at most
/// <see cref="MaxLineLength"/> bytes before the newline), one JSON reply line each, any number
/// of lines per connection, up to <see cref="MaxConnections"/> connections at once. The peer is
/// not trusted: a line that is too long, or that is not finished within
/// <see cref="PartialLineTimeout"/> of its first byte, gets an error line and the connection is
/// closed; so is a connection silent for <see cref="IdleTimeout"/>; a peer that leaves
/// mid-reply only ends its own connection.
/// </summary>
public sealed class ControlServer : IDisposable
{
    /// <summary>The longest command line, in bytes, not counting its newline.</summary>
    public const int MaxLineLength = 1024;

    /// <summary>Connections served at once; one more is answered with an error and closed.</summary>
    public const int MaxConnections = 16;

    /// <summary>How long a line may take from its first byte to its newline.</summary>
    public static readonly TimeSpan PartialLineTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a connection may stay silent between lines.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly UnixSocket _listener;
    private readonly string _path;
    private readonly Func<string, string> _execute;
    private readonly Action<string> _log;
    private readonly Lock _lock = new();
    private readonly HashSet<UnixSocket> _connections = [];
    private readonly List<Thread> _threads = [];
    private bool _stopped;

    private ControlServer(UnixSocket listener, string path, Func<string, string> execute, Action<string> log)
    {
        _listener = listener;
        _path = path;
        _execute = execute;
        _log = log;
    }

    /// <summary>Binds <paramref name="path"/> (which must not exist) with <paramref name="access"/>
    /// and listens; nothing is served until <see cref="Run"/>.</summary>
    /// <param name="path">The control socket's path.</param>
    /// <param name="access">The socket file's mode, owner and group.</param>
    /// <param name="execute">Runs one command line and returns its JSON reply (<see cref="DeviceControl.Execute"/>).</param>
    /// <param name="log">Where a connection's failure is told.</param>
    public static ControlServer Listen(string path, SocketFileAccess access, Func<string, string> execute, Action<string> log) =>
        new(UnixSocket.Listen(path, UnixSocket.MaxBacklog, access), path, execute, log);

    /// <summary>Accepts and serves connections, each on its own thread, until cancelled; then
    /// closes every connection and waits for their threads.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.Register(Stop);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                UnixSocket connection;
                try
                {
                    connection = _listener.Accept();
                }
                catch (ErrnoException) when (cancellationToken.IsCancellationRequested || Volatile.Read(ref _stopped))
                {
                    return;
                }
                Admit(connection);
            }
        }
        finally
        {
            Stop();
            Thread[] threads;
            lock (_lock)
            {
                threads = [.. _threads];
            }
            foreach (Thread thread in threads)
            {
                thread.Join(TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>Stops accepting and closes every connection (their threads then end).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            Volatile.Write(ref _stopped, true);
            foreach (UnixSocket connection in _connections)
            {
                connection.Shutdown();
            }
        }
        _listener.Shutdown();
    }

    /// <summary>Closes the listener and removes the socket file.</summary>
    public void Dispose()
    {
        Stop();
        _listener.Dispose();
        File.Delete(_path);
    }

    private void Admit(UnixSocket connection)
    {
        lock (_lock)
        {
            if (!_stopped && _connections.Count < MaxConnections)
            {
                _connections.Add(connection);
                _threads.RemoveAll(t => !t.IsAlive);
                var thread = new Thread(() => Serve(connection)) { Name = "vireo-device control", IsBackground = true };
                _threads.Add(thread);
                thread.Start();
                return;
            }
        }
        using (connection)
        {
            TrySend(connection, DeviceControl.Error($"too many control connections (at most {MaxConnections}); try again later"));
        }
    }

    private void Serve(UnixSocket connection)
    {
        try
        {
            ServeLines(connection);
        }
        catch (Exception e) when (e is ErrnoException or ObjectDisposedException)
        {
            // The peer left (EPIPE, ECONNRESET mid-reply) or we are stopping: this connection ends, nothing else.
            _log($"control connection ended: {e.Message}");
        }
        finally
        {
            lock (_lock)
            {
                _connections.Remove(connection);
            }
            connection.Dispose();
        }
    }

    private void ServeLines(UnixSocket connection)
    {
        // One line and its newline fit; a buffer full without a newline is a line too long.
        byte[] buffer = new byte[MaxLineLength + 1];
        int filled = 0;
        long lineStarted = 0;
        while (true)
        {
            TimeSpan wait = filled > 0
                ? PartialLineTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - lineStarted)
                : IdleTimeout;
            if (wait <= TimeSpan.Zero || !Poller.WaitReadable(connection.Handle, wait))
            {
                if (filled > 0)
                {
                    TrySend(connection, DeviceControl.Error($"no newline within {PartialLineTimeout.TotalSeconds:0} s of the line's start; closing"));
                }
                return;
            }
            int n = connection.Receive(buffer.AsSpan(filled), null, 0, out _);
            if (n == 0)
            {
                // End of stream: an unfinished line is dropped, never run.
                return;
            }
            if (filled == 0)
            {
                lineStarted = Environment.TickCount64;
            }
            filled += n;
            int start = 0;
            int newline;
            while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
            {
                // Latin-1 maps every byte to one char, so junk stays junk and never throws.
                string line = Encoding.Latin1.GetString(buffer, start, newline);
                Send(connection, _execute(line));
                start += newline + 1;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
                lineStarted = Environment.TickCount64;
            }
            if (filled > MaxLineLength)
            {
                TrySend(connection, DeviceControl.Error($"line longer than {MaxLineLength} bytes; closing"));
                return;
            }
        }
    }

    private static void Send(UnixSocket connection, string reply) => connection.Send(Encoding.UTF8.GetBytes(reply + "\n"));

    private static void TrySend(UnixSocket connection, string reply)
    {
        try
        {
            Send(connection, reply);
        }
        catch (ErrnoException)
        {
            // The peer is gone already; it was being closed anyway.
        }
    }
}
