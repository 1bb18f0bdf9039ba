using System.Text.Json;
using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>Reads one newline-terminated line from a socket within a deadline: the agent's
/// request and reply framing. Bytes after the newline are a protocol error (one line each way).</summary>
internal static class AgentLine
{
    /// <summary>The line without its newline; <paramref name="fds"/> (when given) collects
    /// descriptors that arrive with it, at most <paramref name="maxFds"/>.</summary>
    /// <exception cref="TimeoutException">No whole line within <paramref name="timeout"/>.</exception>
    /// <exception cref="FormatException">Longer than <paramref name="maxBytes"/>, more than one
    /// line, too many descriptors, or the stream ended first.</exception>
    public static byte[] Read(UnixSocket socket, int maxBytes, TimeSpan timeout, List<SafeFd>? fds = null, int maxFds = 0)
    {
        byte[] buffer = new byte[maxBytes];
        int length = 0;
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        bool[] ready = new bool[1];
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0 || Poller.WaitAny([socket.Handle], ready, TimeSpan.FromMilliseconds(left)) == 0)
            {
                throw new TimeoutException(length == 0
                    ? $"nothing arrived within {timeout.TotalSeconds:0.#} s"
                    : $"only {length} bytes of a line arrived within {timeout.TotalSeconds:0.#} s");
            }
            if (length == buffer.Length)
            {
                throw new FormatException($"the line is longer than {maxBytes} bytes");
            }
            int n = socket.Receive(buffer.AsSpan(length), fds, fds is null ? 0 : maxFds, out bool truncated);
            if (truncated)
            {
                throw new FormatException(maxFds == 0
                    ? "descriptors came with the line, and none belong there"
                    : $"more than {maxFds} descriptors came with the line");
            }
            if (n == 0)
            {
                throw new FormatException(length == 0 ? "the peer closed without a word" : $"the peer closed after {length} bytes of a line");
            }
            int newline = buffer.AsSpan(length, n).IndexOf((byte)'\n');
            length += n;
            if (newline >= 0)
            {
                int end = length - n + newline;
                if (end != length - 1)
                {
                    throw new FormatException("more than one line arrived");
                }
                return buffer.AsSpan(0, end).ToArray();
            }
        }
    }

    /// <summary>One JSON object written by <paramref name="members"/>, as a newline-terminated line.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
