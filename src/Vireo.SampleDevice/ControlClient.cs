using System.Net.Sockets;
using System.Text;

namespace Vireo.SampleDevice;

/// <summary>`vireo-device control`: one command line to a serving device's control socket and
/// its one reply line, for scripts on machines without socat (the lab's L1).</summary>
internal static class ControlClient
{
    /// <summary>Sends <paramref name="command"/> and returns the reply line (without its newline).</summary>
    /// <exception cref="InvalidOperationException">No server at <paramref name="path"/>, or no
    /// whole reply within <paramref name="timeout"/>; the message says which.</exception>
    public static string Send(string path, string command, TimeSpan timeout)
    {
        if (command.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("a control command is one line");
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = socket.SendTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(command + "\n"));
            var reply = new List<byte>();
            byte[] buffer = new byte[512];
            while (true)
            {
                int n = socket.Receive(buffer);
                if (n == 0)
                {
                    throw new InvalidOperationException($"{path} closed the connection before a whole reply ({reply.Count} bytes)");
                }
                int newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
                reply.AddRange(buffer.AsSpan(0, newline < 0 ? n : newline));
                if (newline >= 0)
                {
                    return Encoding.UTF8.GetString([.. reply]);
                }
                if (reply.Count > 64 * 1024)
                {
                    throw new InvalidOperationException($"{path} sent over 64 KiB without ending its reply line");
                }
            }
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"control socket {path}: {e.Message}", e);
        }
    }
}
