using System.Buffers.Binary;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>The benchmark's baseline peer (`vireo-device bench-echo --socket PATH`): reads
/// vfio-user-framed messages and sends each back unchanged, with no protocol work at all, so a
/// round trip through it is what the kernel's socket costs for the same bytes.</summary>
internal static class EchoPeer
{
    // The largest frame echoed: a 1 MiB DMA piece and its header, with room to spare.
    private const int MaxFrame = 4 << 20;

    public static void Run(string socketPath, Action onListening)
    {
        using UnixSocket listener = UnixSocket.Listen(socketPath);
        onListening();
        try
        {
            // One connection after another, until the benchmark kills this process.
            byte[] frame = new byte[MaxFrame];
            while (true)
            {
                using UnixSocket connection = listener.Accept();
                Echo(connection, frame);
            }
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    private static void Echo(UnixSocket connection, byte[] frame)
    {
        while (ReadExactly(connection, frame.AsSpan(0, MessageHeader.Size)))
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4));
            if (size < MessageHeader.Size || size > MaxFrame)
            {
                throw new ArgumentException($"bench-echo: frame of {size} bytes");
            }
            if (!ReadExactly(connection, frame.AsSpan(MessageHeader.Size, (int)size - MessageHeader.Size)))
            {
                return;
            }
            connection.Send(frame.AsSpan(0, (int)size));
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>; false when the peer closed first.</summary>
    public static bool ReadExactly(UnixSocket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer, null, 0, out _);
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }
}
