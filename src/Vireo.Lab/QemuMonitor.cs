using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vireo.Lab;

/// <summary>
/// A client of QEMU's machine protocol (QMP) on a Unix socket: the side door into L1's emulator
/// that does not share the serial console with L1's command protocol. The lab uses it to see
/// where L1's CPU is when L1 stops answering (<c>info registers</c>, <c>info lapic</c>) and to
/// inject an NMI. One request at a time; asynchronous events QEMU sends in between are skipped.
/// </summary>
public sealed class QemuMonitor : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private QemuMonitor(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(stream, new UTF8Encoding(false));
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>Connects to the QMP socket at <paramref name="path"/>, reads QEMU's greeting and
    /// enters command mode; retries while QEMU has not created the socket yet.</summary>
    public static async Task<QemuMonitor> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token).ConfigureAwait(false);
                var monitor = new QemuMonitor(socket);
                try
                {
                    // {"QMP": {...}} first, then capabilities negotiation.
                    using JsonDocument greeting = await monitor.ReadMessageAsync(deadline.Token).ConfigureAwait(false);
                    if (!greeting.RootElement.TryGetProperty("QMP", out _))
                    {
                        throw new LabException($"{path} is not a QMP socket: it greeted with {greeting.RootElement.GetRawText()}");
                    }
                    await monitor.ExecuteAsync("qmp_capabilities", null, deadline.Token).ConfigureAwait(false);
                    return monitor;
                }
                catch
                {
                    monitor.Dispose();
                    throw;
                }
            }
            catch (SocketException) when (!deadline.IsCancellationRequested)
            {
                socket.Dispose();
                await Task.Delay(50, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new LabTimeoutException($"QEMU's QMP socket {path} did not answer within {timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Runs a human monitor command (<c>info lapic</c>) and returns its text.</summary>
    public async Task<string> HumanCommandAsync(string commandLine, CancellationToken cancellationToken = default)
    {
        using JsonDocument answer = await ExecuteAsync("human-monitor-command", $$"""{"command-line":"{{JsonEncodedText.Encode(commandLine)}}"}""", cancellationToken)
            .ConfigureAwait(false);
        return answer.RootElement.GetProperty("return").GetString() ?? "";
    }

    /// <summary>Injects an NMI into every vCPU.</summary>
    public async Task InjectNmiAsync(CancellationToken cancellationToken = default)
    {
        using JsonDocument _ = await ExecuteAsync("inject-nmi", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="command"/> (with <paramref name="argumentsJson"/>, a JSON
    /// object, or none) and returns QEMU's answer; an error answer is a <see cref="LabException"/>.</summary>
    public async Task<JsonDocument> ExecuteAsync(string command, string? argumentsJson, CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string request = argumentsJson is null
                ? $$"""{"execute":"{{command}}"}"""
                : $$"""{"execute":"{{command}}","arguments":{{argumentsJson}}}""";
            await _writer.WriteLineAsync(request.AsMemory(), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                JsonDocument message = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
                if (message.RootElement.TryGetProperty("event", out _))
                {
                    message.Dispose();
                    continue;
                }
                if (message.RootElement.TryGetProperty("error", out JsonElement error))
                {
                    string text = error.GetRawText();
                    message.Dispose();
                    throw new LabException($"QMP {command} failed: {text}");
                }
                return message;
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<JsonDocument> ReadMessageAsync(CancellationToken cancellationToken)
    {
        string? line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new LabException("QEMU closed its QMP socket");
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new LabException($"QEMU sent a QMP line that is not JSON: {line}", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _socket.Dispose();
        _reader.Dispose();
        _writer.Dispose();
        _oneAtATime.Dispose();
    }
}
