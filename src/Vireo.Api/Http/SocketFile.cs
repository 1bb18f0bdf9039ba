using System.Net.Sockets;
using System.Text;

namespace Vireo.Api.Http;

/// <summary>Decides what to do with whatever is already at the socket path.</summary>
internal static class SocketFile
{
    // sockaddr_un.sun_path is 108 bytes including the terminating NUL (unix(7)).
    public const int MaxPathBytes = 107;

    /// <summary>Leaves the path free to bind: removes a stale socket (nobody accepts on it),
    /// refuses when a live server answers there or when something else occupies the path.</summary>
    public static void Prepare(string path)
    {
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new ArgumentException(
                $"API socket path '{path}' is longer than {MaxPathBytes} bytes, the limit of a UNIX socket address; choose a shorter path", nameof(path));
        }
        if (Directory.Exists(path))
        {
            throw new IOException($"{path} is a directory; give --api-socket a file path such as {Path.Combine(path, "vireo.sock")}");
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new IOException($"cannot create the API socket {path}: directory {directory} does not exist");
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (IsAnswering(path))
        {
            throw new IOException(
                $"another server is already listening on {path}; stop it (`vireo remote --api-socket {path} shutdown`) or choose another --api-socket path");
        }
        // A socket file has size 0; anything with content is somebody's file, not a stale socket.
        if (new FileInfo(path).Length != 0)
        {
            throw new IOException($"{path} exists and is not a socket; remove it or choose another --api-socket path");
        }
        File.Delete(path);
    }

    public static void Remove(string path)
    {
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length == 0)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover socket is detected as stale and replaced next time.
        }
    }

    private static bool IsAnswering(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        // Non-blocking, so a live server with a full backlog reports EAGAIN instead of stalling us.
        probe.Blocking = false;
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused)
        {
            return false; // A socket nobody listens on (or a non-socket file): stale.
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot check whether {path} is in use: {e.Message}", e);
        }
    }
}
