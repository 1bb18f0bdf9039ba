using System.Buffers;
using System.Net.Sockets;
using System.Text.Unicode;

namespace Vireo.Api.Http;

/// <summary>
/// One client connection, served by one task: requests are read and answered strictly in order
/// (a pipelined request waits in the input buffer for the one before it to be answered). A fresh
/// connection has <see cref="HttpLimits.RequestTimeout"/> to send its first byte and an idle one
/// <see cref="HttpLimits.KeepAliveTimeout"/>; from a request's first byte to the end of its body,
/// <see cref="HttpLimits.RequestTimeout"/>. Whatever the client sends or does, the task ends
/// without an exception: a protocol error is answered with a JSON 4xx and the connection closed.
/// </summary>
internal sealed class HttpConnection
{
    private readonly Stream _stream;
    private readonly HttpLimits _limits;
    private readonly ApiRouter _router;
    private readonly ConnectionSlots _slots;
    private readonly TextWriter? _errorLog;
    // Cancelled by Abort, by the client leaving a stream, or by the deadline of the phase.
    private readonly CancellationTokenSource _cancel = new();
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private HttpInput? _input;
    private Task? _closeWatch;
    private bool _chunked;
    private volatile bool _aborted;

    public HttpConnection(Stream stream, HttpLimits limits, ApiRouter router, ConnectionSlots slots, TextWriter? errorLog)
    {
        _stream = stream;
        _limits = limits;
        _router = router;
        _slots = slots;
        _errorLog = errorLog;
    }

    /// <summary>The serving task, once <see cref="Start"/> was called.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start() => Completion = RunAsync();

    /// <summary>Ends the connection as soon as possible, whatever it is doing.</summary>
    public void Abort()
    {
        _aborted = true;
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended already.
        }
    }

    private async Task RunAsync()
    {
        try
        {
            _input = new HttpInput(_stream, _limits);
            await ServeAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the connection was aborted: nobody to answer.
        }
        catch (Exception e)
        {
            _errorLog?.WriteLine($"vireo api: a connection failed: {e}");
        }
        finally
        {
            _slots.Remove(this);
            await _stream.DisposeAsync();
            if (_closeWatch is not null)
            {
                await _closeWatch; // Its read into the input buffer must end before the buffer is returned.
            }
            _input?.Dispose();
            _cancel.Dispose();
        }
    }

    private async Task ServeAsync()
    {
        HttpInput input = _input!;
        for (bool first = true; ; first = false)
        {
            _cancel.CancelAfter(first ? _limits.RequestTimeout : _limits.KeepAliveTimeout);
            try
            {
                if (!await input.WaitForRequestAsync(_cancel.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!_aborted && input.Buffered == 0)
            {
                return; // Idle too long: close quietly, as there is no request to answer.
            }
            catch (OperationCanceledException) when (!_aborted)
            {
                await FailAsync(HttpStatus.RequestTimeout, TimedOut());
                return;
            }
            catch (BadHttpRequestException e)
            {
                await FailAsync(e.StatusCode, e.Message);
                return;
            }
            _cancel.CancelAfter(_limits.RequestTimeout);
            HttpRequestHead head;
            try
            {
                head = await input.ReadHeadAsync(_cancel.Token);
            }
            catch (BadHttpRequestException e)
            {
                await FailAsync(e.StatusCode, e.Message);
                return;
            }
            catch (OperationCanceledException) when (!_aborted)
            {
                await FailAsync(HttpStatus.RequestTimeout, TimedOut());
                return;
            }
            _slots.EnterRequest(this);
            bool keepAlive = false;
            try
            {
                keepAlive = await ServeRequestAsync(input, head);
            }
            finally
            {
                keepAlive &= _slots.LeaveRequest(this);
            }
            if (!keepAlive)
            {
                return;
            }
        }
    }

    /// <summary>Reads the body, answers, and says whether the connection may carry another request.</summary>
    private async Task<bool> ServeRequestAsync(HttpInput input, HttpRequestHead head)
    {
        bool routed = _router.Match(head.Method, head.Path, out _) is not null;
        bool keepAlive = head.KeepAlive;
        byte[] body = [];
        BadHttpRequestException? bodyError = null;
        if (head.HasBody && !routed && head.ExpectContinue)
        {
            keepAlive = false; // The client waits for a 100 that will not come, so its body never does.
        }
        else if (head.HasBody)
        {
            try
            {
                if (head.ExpectContinue && !(head.ContentLength > _limits.MaxBodyBytes))
                {
                    await _stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _cancel.Token);
                }
                body = await input.ReadBodyAsync(head, $"{head.Method} {head.Path}", _cancel.Token);
            }
            catch (BadHttpRequestException e)
            {
                bodyError = e;
                keepAlive = false; // Where this body ends, and so where the next request starts, is unknown.
            }
            catch (OperationCanceledException) when (!_aborted)
            {
                await FailAsync(HttpStatus.RequestTimeout, TimedOut());
                return false;
            }
        }
        if (!_cancel.TryReset())
        {
            return false; // Aborted, or the deadline fired just now.
        }
        var exchange = new HttpExchange(this, head, body, _cancel.Token);
        if (bodyError is not null && routed)
        {
            ApiError.Respond(exchange, bodyError.StatusCode, bodyError.Message);
        }
        else
        {
            await _router.DispatchAsync(exchange);
        }
        if (exchange.HasStarted)
        {
            await EndStreamAsync();
            return false;
        }
        keepAlive &= !_slots.IsStopping;
        _output.ResetWrittenCount();
        HttpResponseHead.Write(_output, exchange.StatusCode, exchange.ContentType, HttpResponseHead.Framing.Length,
            exchange.ResponseBody.Length, close: !keepAlive, exchange.Allow);
        if (exchange.StatusCode != HttpStatus.NoContent)
        {
            _output.Write(exchange.ResponseBody.Span);
        }
        // A client that stops reading its answers (pipelining requests meanwhile) must not hold
        // a busy slot for ever: the answer has as long to go out as the request had to come in.
        _cancel.CancelAfter(_limits.RequestTimeout);
        await _stream.WriteAsync(_output.WrittenMemory, _cancel.Token);
        if (!_cancel.TryReset())
        {
            return false;
        }
        if (!keepAlive)
        {
            using var linger = new CancellationTokenSource(_limits.LingerTimeout);
            await LingerAsync(input, linger.Token);
        }
        return keepAlive;
    }

    /// <summary>Sends the head of a streamed answer and starts watching for the client to leave.</summary>
    internal async Task StartStreamAsync(HttpExchange exchange, CancellationToken cancellationToken)
    {
        _chunked = exchange.Head.IsHttp11;
        _output.ResetWrittenCount();
        HttpResponseHead.Write(_output, HttpStatus.Ok, exchange.ContentType,
            _chunked ? HttpResponseHead.Framing.Chunked : HttpResponseHead.Framing.Close, 0, close: true, noStore: true);
        await _stream.WriteAsync(_output.WrittenMemory, cancellationToken);
        _closeWatch = WatchForCloseAsync(_input!);
    }

    internal async ValueTask WriteStreamAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
        {
            return; // An empty chunk would end the stream.
        }
        _output.ResetWrittenCount();
        if (_chunked)
        {
            Utf8.TryWrite(_output.GetSpan(16), $"{data.Length:x}\r\n", out int written);
            _output.Advance(written);
        }
        _output.Write(data.Span);
        if (_chunked)
        {
            _output.Write("\r\n"u8);
        }
        await _stream.WriteAsync(_output.WrittenMemory, cancellationToken);
    }

    private async Task EndStreamAsync()
    {
        if (_chunked && !_cancel.IsCancellationRequested)
        {
            using var linger = new CancellationTokenSource(_limits.LingerTimeout);
            await _stream.WriteAsync("0\r\n\r\n"u8.ToArray(), linger.Token);
        }
    }

    /// <summary>A streamed answer never ends on its own, so a client that leaves is noticed by
    /// reading: end of stream (or an error) aborts the connection, which ends the stream. Bytes a
    /// client sends meanwhile are discarded; it asked for no other answer on this connection.</summary>
    private async Task WatchForCloseAsync(HttpInput input)
    {
        try
        {
            await input.DrainAsync(int.MaxValue, CancellationToken.None);
        }
        catch (Exception)
        {
            // Whatever ended the read (a reset, the stream disposed under it), the client is gone.
        }
        Abort();
    }

    /// <summary>Answers a request that cannot be served with a JSON error and closes.</summary>
    private async Task FailAsync(int status, string message)
    {
        if (_aborted)
        {
            return;
        }
        byte[] body = ApiError.Body(message);
        _output.ResetWrittenCount();
        HttpResponseHead.Write(_output, status, ApiJson.ContentType, HttpResponseHead.Framing.Length, body.Length, close: true);
        _output.Write(body);
        using var linger = new CancellationTokenSource(_limits.LingerTimeout);
        await _stream.WriteAsync(_output.WrittenMemory, linger.Token);
        await LingerAsync(_input!, linger.Token);
    }

    /// <summary>Half-closes, then discards what the client still sends for a moment: closing a
    /// UNIX socket with unread data makes the client's next read fail with ECONNRESET, which can
    /// cost it the answer it has not read yet.</summary>
    private async Task LingerAsync(HttpInput input, CancellationToken cancellationToken)
    {
        try
        {
            (_stream as NetworkStream)?.Socket.Shutdown(SocketShutdown.Send);
            await input.DrainAsync(_limits.MaxLingerBytes, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone or slow to leave; the answer was sent either way.
        }
    }

    private string TimedOut() =>
        $"bad request: the request was not complete within {_limits.RequestTimeout.TotalSeconds:0.#} s";
}
