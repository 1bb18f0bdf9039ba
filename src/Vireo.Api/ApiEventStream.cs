using System.Runtime.CompilerServices;
using System.Text.Json;
using Vireo.Api.Http;

namespace Vireo.Api;

/// <summary>An open <c>vm.events</c> stream. It exists only once the server has subscribed, so
/// every event published after <see cref="ApiClient.OpenEventsAsync"/> returns is in it.</summary>
public sealed class ApiEventStream : IDisposable
{
    private readonly StreamReader _reader;
    private readonly string _socketPath;

    internal ApiEventStream(Stream body, string socketPath)
    {
        _reader = new StreamReader(body);
        _socketPath = socketPath;
    }

    /// <summary>The events as the server sent them, one JSON object per string. Ends when the
    /// server ends the stream (the VM is gone or the server stopped).</summary>
    public async IAsyncEnumerable<string> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                throw new ApiClientException($"the event stream from {_socketPath} broke: {e.Message}", null, e);
            }
            if (line is null)
            {
                yield break;
            }
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    /// <summary>The events, parsed.</summary>
    public async IAsyncEnumerable<VmEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (string line in ReadLinesAsync(cancellationToken).ConfigureAwait(false))
        {
            VmEvent? e;
            try
            {
                e = JsonSerializer.Deserialize(line, ApiJsonContext.Default.VmEvent);
            }
            catch (JsonException ex)
            {
                throw new ApiClientException($"{_socketPath} sent an event that is not valid JSON: {ex.Message}", null, ex);
            }
            if (e is not null)
            {
                yield return e;
            }
        }
    }

    /// <summary>Closes the stream; the server drops the subscription when it sees the connection go.</summary>
    public void Dispose()
    {
        _reader.Dispose();
    }
}
