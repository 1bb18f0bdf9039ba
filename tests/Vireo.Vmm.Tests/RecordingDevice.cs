using Vireo.Devices;

namespace Vireo.Vmm.Tests;

/// <summary>Remembers every access; reads return consecutive bytes of <see cref="ReadPattern"/>.</summary>
internal sealed class RecordingDevice : IBusDevice
{
    private readonly List<(bool Write, ulong Offset, byte[] Data)> _accesses = [];

    public ulong ReadPattern { get; init; } = 0xa1b2c3d4e5f60718;

    public IReadOnlyList<(bool Write, ulong Offset, byte[] Data)> Accesses
    {
        get
        {
            lock (_accesses)
            {
                return [.. _accesses];
            }
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        BitConverter.GetBytes(ReadPattern).AsSpan(0, data.Length).CopyTo(data);
        lock (_accesses)
        {
            _accesses.Add((false, offset, data.ToArray()));
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_accesses)
        {
            _accesses.Add((true, offset, data.ToArray()));
        }
    }
}
