using System.Globalization;
using System.Text;
using System.Text.Json;
using Vireo.Api.Http;

namespace Vireo.Api.Fuzz;

/// <summary>What one connection did: the status of each answer, in order, and the requests that
/// reached the VM.</summary>
public sealed record HttpRun(IReadOnlyList<int> Statuses, IReadOnlyList<string> Calls)
{
    /// <inheritdoc/>
    public override string ToString() => $"answers [{string.Join(", ", Statuses)}], VM calls [{string.Join(", ", Calls)}]";
}

/// <summary>
/// The bytes a client sends on the API socket, served by the API's own HTTP layer (the
/// connection, head parser, body framing, router and every endpoint, as <see cref="ApiServer"/>
/// maps them) with a <see cref="RecordingVmm"/> behind it. The client closes its sending side
/// after the input, so the server reads end of stream instead of waiting. Allowed: well-formed
/// HTTP/1.1 answers, 4xx with a JSON error body for bad input (and 505 for an HTTP version
/// other than 1.x), and then the end of the connection. Any other 5xx, an answer that does not parse, a line in the server's error log (an
/// exception that escaped a handler or the connection), or a connection that does not end
/// within <see cref="Timeout"/> is a finding (<see cref="ApiFindingException"/>).
/// </summary>
/// <remarks>Input: byte 0 is the most bytes one read returns (0: all that are left), so
/// requests also arrive split at every boundary; the rest is what the client sends.</remarks>
public static class HttpTarget
{
    /// <summary>How long one input may take; the connection never waits for the client, so
    /// anything near this is a loop.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Serves the input's bytes on one connection; returns its answers and VM calls.</summary>
    public static HttpRun Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1)
        {
            return new HttpRun([], []);
        }
        var vm = new RecordingVmm();
        var log = new StringWriter(CultureInfo.InvariantCulture);
        TextWriter errorLog = TextWriter.Synchronized(log);
        var options = new ApiServerOptions { ErrorLog = errorLog, Version = "fuzz" };
        using var stopping = new CancellationTokenSource();
        ApiRouter router = ApiServer.CreateRouter(vm, options, stopping.Token);
        var limits = new HttpLimits
        {
            MaxBodyBytes = options.MaxRequestBodyBytes,
            RequestTimeout = options.RequestTimeout,
            KeepAliveTimeout = options.KeepAliveTimeout,
        };
        var slots = new ConnectionSlots(1);
        var client = new ClientBytes(input[1..].ToArray(), input[0]);
        var connection = new HttpConnection(client, limits, router, slots, errorLog);
        if (!slots.TryAdmit(connection, out _))
        {
            throw new InvalidOperationException("a fresh slot table refused its first connection");
        }
        connection.Start();
        if (!connection.Completion.Wait(Timeout))
        {
            connection.Abort();
            throw new ApiFindingException($"the connection did not end within {Timeout.TotalSeconds} s of its client closing");
        }
        if (log.ToString() is { Length: > 0 } logged)
        {
            throw new ApiFindingException($"the server logged an error: {logged}");
        }
        if (slots.Count != 0)
        {
            throw new ApiFindingException("the connection ended but still holds its slot");
        }
        return new HttpRun(Answers(client.Written), vm.Calls);
    }

    /// <summary>The statuses of the answers in <paramref name="output"/>, each checked for form:
    /// a status line, header lines, the body its framing says; 100 Continue may come first.</summary>
    private static List<int> Answers(byte[] output)
    {
        var statuses = new List<int>();
        int at = 0;
        while (at < output.Length)
        {
            int headEnd = output.AsSpan(at).IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                throw Malformed("an answer's head does not end", output, at);
            }
            string[] lines = Encoding.Latin1.GetString(output, at, headEnd).Split("\r\n");
            at += headEnd + 4;
            string[] statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length != 3 || statusLine[0] != "HTTP/1.1" || statusLine[1].Length != 3
                || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status) || status < 100 || statusLine[2].Length == 0)
            {
                throw Malformed($"not a status line: '{lines[0]}'", output, at);
            }
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines.Skip(1))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0 || !headers.TryAdd(line[..colon], line[(colon + 1)..].Trim()))
                {
                    throw Malformed($"a bad or repeated header line '{line}'", output, at);
                }
            }
            if (status == 100)
            {
                continue; // The interim answer to Expect: 100-continue; the real one follows.
            }
            // 505 is the protocol's answer to a version the server does not speak (HTTP/2.0 in
            // an HTTP/1 request line), and the only 5xx a client's bytes may earn.
            if (status >= 500 && status != 505)
            {
                throw new ApiFindingException($"a client's bytes got {lines[0]}: {Encoding.UTF8.GetString(output, at, output.Length - at)}");
            }
            statuses.Add(status);
            byte[] body;
            if (headers.TryGetValue("Content-Length", out string? length))
            {
                if (!int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > output.Length - at)
                {
                    throw Malformed($"Content-Length {length} with {output.Length - at} bytes left", output, at);
                }
                body = output[at..(at + n)];
                at += n;
            }
            else if (headers.TryGetValue("Transfer-Encoding", out string? coding))
            {
                // The event stream: chunks until the client leaves, which ends it mid-stream.
                if (coding != "chunked" || status != 200)
                {
                    throw Malformed($"Transfer-Encoding {coding} on a {status}", output, at);
                }
                at = output.Length;
                body = [];
            }
            else if (status == 204)
            {
                body = [];
            }
            else if (headers.TryGetValue("Connection", out string? connection) && connection == "close" && status == 200)
            {
                body = output[at..]; // The event stream to an HTTP/1.0 client: until the end.
                at = output.Length;
            }
            else
            {
                throw Malformed($"a {status} without framing", output, at);
            }
            if (status >= 400)
            {
                CheckErrorBody(status, headers, body);
            }
            if (headers.TryGetValue("Connection", out string? close) && close == "close" && at < output.Length)
            {
                throw Malformed("an answer after one that closed the connection", output, at);
            }
        }
        return statuses;
    }

    // Every 4xx says what is wrong in {"error": "..."}.
    private static void CheckErrorBody(int status, Dictionary<string, string> headers, byte[] body)
    {
        if (!headers.TryGetValue("Content-Type", out string? type) || !type.StartsWith("application/json", StringComparison.Ordinal))
        {
            throw new ApiFindingException($"a {status} without a JSON body");
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out JsonElement error) || error.ValueKind != JsonValueKind.String
                || error.GetString() is not { Length: > 0 })
            {
                throw new ApiFindingException($"a {status} whose body has no error message: {Encoding.UTF8.GetString(body)}");
            }
        }
        catch (JsonException e)
        {
            throw new ApiFindingException($"a {status} whose body is not JSON ({e.Message}): {Encoding.UTF8.GetString(body)}");
        }
    }

    private static ApiFindingException Malformed(string what, byte[] output, int at) =>
        new($"a malformed answer ({what}) at byte {at} of: {Encoding.Latin1.GetString(output)}");
}
