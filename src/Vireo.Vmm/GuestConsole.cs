using System.Net.Sockets;

namespace Vireo.Vmm;

/// <summary>
/// The host end of the guest console: stdout/stdin, a file (output only), or a UNIX socket that
/// Vireo listens on (the connected client gets the output and its bytes become guest input).
/// Output is written in order and by whole lines: a byte is held until its line ends, the
/// buffer fills, or <see cref="PartialLineDelay"/> passes, whichever comes first. A guest's
/// 8250 console sends one byte per transmit-register write, and writing each one to a pipe wakes
/// the reader for every byte (in the nested lab that was a large part of a boot's console
/// cost); a partial line (a prompt, an echoed key) still appears within the delay.
/// </summary>
public sealed class GuestConsole : IDisposable
{
    /// <summary>The longest a partial line (a shell prompt, an echoed key) waits before it is written.</summary>
    public static readonly TimeSpan PartialLineDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest a line of Vireo's own waits for an open guest line to end before it
    /// breaks the line (a prompt waiting for input stays open for good).</summary>
    public static readonly TimeSpan HostLineWait = TimeSpan.FromMilliseconds(250);

    private const int BufferSize = 4096;

    private readonly object _gate = new();
    private readonly Lock _pendingLock = new();
    private readonly byte[] _pending = new byte[BufferSize];
    private readonly Timer _partialLineTimer;
    private int _pendingLength;
    private readonly TimeSpan _partialLineDelay;
    private bool _timerArmed;
    private readonly Stream? _output;
    private readonly Socket? _listener;
    private readonly string? _socketPath;
    private Socket? _client;
    private Action<ReadOnlySpan<byte>>? _input;
    private Thread? _reader;
    private volatile bool _disposed;
    // Whether the last byte written to a terminal-sharing output (stdout) left a line open.
    private bool _midLine;
    // Vireo's own lines that came while a guest line was open, in order, and the timer that
    // writes them when the line does not end within the wait.
    private readonly Queue<(TextWriter Writer, string Line)> _heldHostLines = new();
    private readonly Timer _hostLineTimer;
    private readonly TimeSpan _hostLineWait;

    private GuestConsole(Stream? output, Socket? listener, string? socketPath, TimeSpan? partialLineDelay = null, TimeSpan? hostLineWait = null)
    {
        _partialLineDelay = partialLineDelay ?? PartialLineDelay;
        _hostLineWait = hostLineWait ?? HostLineWait;
        _output = output;
        _listener = listener;
        _socketPath = socketPath;
        _partialLineTimer = new Timer(_ => FlushFromTimer(), null, Timeout.Infinite, Timeout.Infinite);
        _hostLineTimer = new Timer(_ => WriteHeldHostLinesFromTimer(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>A console writing to <paramref name="output"/> (tests).</summary>
    internal static GuestConsole ForStream(Stream output, TimeSpan partialLineDelay, TimeSpan? hostLineWait = null) =>
        new(output, null, null, partialLineDelay, hostLineWait);

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
            _reader = new Thread(() =>
            {
                // The runtime dups fd 0 for this stream: closed at end of input, not left to a finalizer.
                using Stream stdin = Console.OpenStandardInput();
                Pump(stdin, interactive);
            }) { Name = "console-stdin", IsBackground = true };
        }
        _reader?.Start();
    }

    /// <summary>Takes guest output, in order: bytes that end a line are written at once with
    /// everything held before them, a partial line within <see cref="PartialLineDelay"/>.
    /// Allocates nothing.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_pendingLock)
        {
            while (bytes.Length > 0)
            {
                int n = Math.Min(bytes.Length, BufferSize - _pendingLength);
                bytes[..n].CopyTo(_pending.AsSpan(_pendingLength));
                bool lineEnded = bytes[..n].Contains((byte)'\n');
                _pendingLength += n;
                bytes = bytes[n..];
                if (lineEnded || _pendingLength == BufferSize)
                {
                    WritePendingLocked();
                }
            }
            if (_pendingLength > 0 && !_timerArmed)
            {
                _timerArmed = true;
                _partialLineTimer.Change(_partialLineDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Writes what is held (the end of a run, the partial-line timer).</summary>
    public void Flush()
    {
        lock (_pendingLock)
        {
            _timerArmed = false;
            WritePendingLocked();
        }
    }

    private void FlushFromTimer()
    {
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The output closed (a reader that went away, the run ending): the guest runs on, as
            // it did when a direct write failed.
        }
    }

    private void WritePendingLocked()
    {
        if (_pendingLength > 0)
        {
            int n = _pendingLength;
            _pendingLength = 0;
            WriteOut(_pending.AsSpan(0, n));
        }
    }

    /// <summary>Writes a line of Vireo's own to <paramref name="writer"/> (stderr, which shares
    /// the terminal or pipe with a stdout console) so that it never lands inside a guest line and
    /// never breaks one that is being written: while the guest's last written line is open, the
    /// line waits for that line's end and follows it, or, when the line stays open for
    /// <see cref="HostLineWait"/> (a prompt waiting for input), goes out after a newline. Guest
    /// bytes held back wait until a line that goes at once is out. A program reading the output
    /// (a test, a log scraper) then sees both the guest's lines and Vireo's whole.</summary>
    public void WriteHostLine(TextWriter writer, string line)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_pendingLock)
        {
            // After Dispose the guest writes nothing more: no line to wait for.
            if (!_disposed && (_midLine || _heldHostLines.Count > 0))
            {
                if (_heldHostLines.Count == 0)
                {
                    _hostLineTimer.Change(_hostLineWait, Timeout.InfiniteTimeSpan);
                }
                _heldHostLines.Enqueue((writer, line));
                return;
            }
            if (_midLine)
            {
                writer.Write('\n');
                _midLine = false;
            }
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    /// <summary>Writes the held lines of Vireo's own: after a guest line ended (the output is at
    /// a line start), or when the wait ran out (a newline first).</summary>
    private void WriteHeldHostLinesLocked()
    {
        if (_heldHostLines.Count == 0)
        {
            return;
        }
        _hostLineTimer.Change(Timeout.Infinite, Timeout.Infinite);
        if (_midLine)
        {
            _heldHostLines.Peek().Writer.Write('\n');
            _midLine = false;
        }
        while (_heldHostLines.TryDequeue(out (TextWriter Writer, string Line) held))
        {
            held.Writer.WriteLine(held.Line);
            held.Writer.Flush();
        }
    }

    private void WriteHeldHostLinesFromTimer()
    {
        try
        {
            lock (_pendingLock)
            {
                WriteHeldHostLinesLocked();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stderr went away with the run: nothing left to tell it.
        }
    }

    /// <summary>Writes to the output; a console client that went away is dropped, never the guest.</summary>
    private void WriteOut(ReadOnlySpan<byte> bytes)
    {
        if (_output is not null)
        {
            int lineEnd = _heldHostLines.Count > 0 ? bytes.IndexOf((byte)'\n') : -1;
            if (lineEnd >= 0)
            {
                // The open line ends here: Vireo's held lines follow it, before the next one.
                _output.Write(bytes[..(lineEnd + 1)]);
                _output.Flush();
                _midLine = false;
                WriteHeldHostLinesLocked();
                bytes = bytes[(lineEnd + 1)..];
            }
            _output.Write(bytes);
            _output.Flush();
            if (_output is not FileStream && bytes.Length > 0)
            {
                _midLine = bytes[^1] != (byte)'\n';
            }
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

    /// <summary>Closes the console, its socket and its reader thread.</summary>
    public void Dispose()
    {
        _disposed = true;
        try
        {
            Flush();
            lock (_pendingLock)
            {
                WriteHeldHostLinesLocked();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The output went away with the run (a closed pipe): nothing left to tell it.
        }
        _partialLineTimer.Dispose();
        _hostLineTimer.Dispose();
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
