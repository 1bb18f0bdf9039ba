using System.Net.Sockets;

namespace Vireo.Vmm;

/// <summary>
/// The host end of the guest console: stdout/stdin, a file (output only), or a UNIX socket that
/// Vireo listens on (the connected client gets the output and its bytes become guest input).
/// Output is written on the vCPU thread that wrote the UART, in order.
/// </summary>
public sealed class GuestConsole : IDisposable
{
    private readonly object _gate = new();
    private readonly Stream? _output;
    private readonly Socket? _listener;
    private readonly string? _socketPath;
    private Socket? _client;
    private Action<ReadOnlySpan<byte>>? _input;
    private Thread? _reader;
    private volatile bool _disposed;

    private GuestConsole(Stream? output, Socket? listener, string? socketPath)
    {
        _output = output;
        _listener = listener;
        _socketPath = socketPath;
    }

    /// <summary>Opens the console of <paramref name="kind"/>; <paramref name="path"/> is the file or socket path.</summary>
    public static GuestConsole Open(ConsoleKind kind, string? path)
    {
        switch (kind)
        {
            case ConsoleKind.Stdio:
                return new GuestConsole(Console.OpenStandardOutput(), null, null);
            case ConsoleKind.File:
                try
                {
                    return new GuestConsole(new FileStream(path!, FileMode.Create, FileAccess.Write, FileShare.Read), null, null);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new IOException($"cannot open the console file {path}: {e.Message}", e);
                }
            default:
                var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    if (File.Exists(path))
                    {
                        File.Delete(path);
                    }
                    listener.Bind(new UnixDomainSocketEndPoint(path!));
                    listener.Listen(1);
                }
                catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
                {
                    listener.Dispose();
                    throw new IOException($"cannot listen on the console socket {path}: {e.Message}", e);
                }
                return new GuestConsole(null, listener, path);
        }
    }

    /// <summary>Ctrl-A: on an interactive terminal, Ctrl-A x quits and Ctrl-A Ctrl-A sends one
    /// Ctrl-A to the guest (QEMU's convention), since every other key goes to the guest.</summary>
    public const byte EscapeKey = 0x01;

    /// <summary>Raised when the user types the quit escape on an interactive terminal.</summary>
    public event Action? QuitRequested;

    /// <summary>Starts delivering host input (stdin or the socket client) to <paramref name="input"/>.</summary>
    public void AttachInput(Action<ReadOnlySpan<byte>> input)
    {
        _input = input;
        if (_listener is not null)
        {
            _reader = new Thread(AcceptLoop) { Name = "console-socket", IsBackground = true };
        }
        else if (_output is not null and not FileStream)
        {
            bool interactive = Vireo.Sys.RawTerminal.IsTerminal(0);
            _reader = new Thread(() => Pump(Console.OpenStandardInput(), interactive)) { Name = "console-stdin", IsBackground = true };
        }
        _reader?.Start();
    }

    /// <summary>Writes guest output, in order; a console client that went away is dropped, never the guest.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_output is not null)
        {
            _output.Write(bytes);
            _output.Flush();
            return;
        }
        Socket? client;
        lock (_gate)
        {
            client = _client;
        }
        if (client is null)
        {
            return; // Nobody attached: console output is dropped, as on a disconnected serial line.
        }
        try
        {
            client.Send(bytes);
        }
        catch (SocketException)
        {
            DropClient(client);
        }
    }

    /// <summary>Flushes buffered output (at the end of a run).</summary>
    public void Flush() => _output?.Flush();

    /// <summary>Closes the console, its socket and its reader thread.</summary>
    public void Dispose()
    {
        _disposed = true;
        _output?.Flush();
        if (_output is FileStream)
        {
            _output.Dispose();
        }
        lock (_gate)
        {
            _client?.Dispose();
            _client = null;
        }
        if (_listener is not null)
        {
            _listener.Dispose();
            try
            {
                File.Delete(_socketPath!);
            }
            catch (IOException)
            {
                // Best effort: a stale socket file is replaced at the next start.
            }
        }
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener!.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_gate)
            {
                _client?.Dispose();
                _client = client;
            }
            using var stream = new NetworkStream(client, ownsSocket: false);
            Pump(stream, interactive: false);
            DropClient(client);
        }
    }

    private void Pump(Stream source, bool interactive)
    {
        var buffer = new byte[256];
        bool escaped = false;
        while (!_disposed)
        {
            int n;
            try
            {
                n = source.Read(buffer);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                return;
            }
            if (n == 0)
            {
                return; // End of input: the guest keeps running, it just gets no more keys.
            }
            if (!interactive)
            {
                _input?.Invoke(buffer.AsSpan(0, n));
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                byte b = buffer[i];
                if (escaped)
                {
                    escaped = false;
                    if (b is (byte)'x' or (byte)'X')
                    {
                        QuitRequested?.Invoke();
                        return;
                    }
                    if (b != EscapeKey)
                    {
                        continue;
                    }
                }
                else if (b == EscapeKey)
                {
                    escaped = true;
                    continue;
                }
                _input?.Invoke([b]);
            }
        }
    }

    private void DropClient(Socket client)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_client, client))
            {
                _client = null;
            }
        }
        client.Dispose();
    }
}
