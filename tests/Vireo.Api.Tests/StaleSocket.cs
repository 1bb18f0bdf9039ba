using System.Net.Sockets;

namespace Vireo.Api.Tests;

/// <summary>Leaves a socket file that nobody listens on, as a killed server does.</summary>
internal static class StaleSocket
{
    public static void Create(string path)
    {
        // .NET unlinks a socket's path when the socket is disposed; bind elsewhere and move the
        // file into place so the unlink misses it.
        string temporary = path + ".tmp";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(temporary));
        socket.Listen();
        File.Move(temporary, path);
    }
}
