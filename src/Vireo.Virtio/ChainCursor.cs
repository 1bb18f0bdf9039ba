using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A sequential position in one direction of a chain (its readable or its writable
/// buffers) seen as one run of bytes, whatever the buffer boundaries (virtio 1.2 §2.7.4: the
/// framing of a message is independent of its buffers). Guest memory that fails under it is a
/// <see cref="VirtqueueException"/>.</summary>
internal sealed class ChainCursor
{
    private readonly IReadOnlyList<VirtqBuffer> _buffers;
    private readonly GuestMemory _memory;
    private readonly int _end;
    private int _index;
    private uint _within;

    /// <summary>A cursor at the start of <paramref name="buffers"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
    public ChainCursor(IReadOnlyList<VirtqBuffer> buffers, int start, int end, GuestMemory memory)
    {
        _buffers = buffers;
        _memory = memory;
        _index = start;
        _end = end;
    }

    /// <summary>Copies the next <paramref name="data"/>.Length bytes out of guest memory.</summary>
    public void Read(Span<byte> data)
    {
        while (!data.IsEmpty)
        {
            (GuestAddress at, int take) = Next(data.Length);
            try
            {
                _memory.Read(at, data[..take]);
            }
            catch (GuestMemoryException e)
            {
                throw new VirtqueueException($"request buffer at {at} is no longer guest RAM", e);
            }
            data = data[take..];
        }
    }

    /// <summary>Copies <paramref name="data"/> into the next bytes of guest memory.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            (GuestAddress at, int take) = Next(data.Length);
            try
            {
                _memory.Write(at, data[..take]);
            }
            catch (GuestMemoryException e)
            {
                throw new VirtqueueException($"request buffer at {at} is no longer guest RAM", e);
            }
            data = data[take..];
        }
    }

    /// <summary>The next <paramref name="length"/> bytes as host memory segments, one per buffer
    /// (or part of one), for a transfer straight to or from guest RAM; the cursor moves past them.
    /// False, with the cursor where it was, when they need more than <paramref name="segments"/>
    /// holds or a buffer is not within one RAM region: the caller then copies with
    /// <see cref="Read"/> or <see cref="Write"/>.</summary>
    public unsafe bool TryTakeSegments(ulong length, Span<IoSegment> segments, out int count)
    {
        (int index, uint within) = (_index, _within);
        count = 0;
        for (ulong left = length; left > 0;)
        {
            (GuestAddress at, int take) = Next((int)Math.Min(left, int.MaxValue));
            Span<byte> span;
            try
            {
                span = count < segments.Length ? _memory.GetSpan(at, take) : default;
            }
            catch (GuestMemoryException)
            {
                span = default;
            }
            if (span.IsEmpty)
            {
                (_index, _within, count) = (index, within, 0);
                return false;
            }
            // Guest RAM is mapped memory that does not move: the pointer holds while the VM runs.
            segments[count++] = new IoSegment((nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), take);
            left -= (ulong)take;
        }
        return true;
    }

    // The caller never asks for more than the buffers hold (it sized the request from them).
    private (GuestAddress At, int Take) Next(int wanted)
    {
        while (_index < _end && _within == _buffers[_index].Length)
        {
            _index++;
            _within = 0;
        }
        if (_index >= _end)
        {
            throw new InvalidOperationException("read past the end of the chain's buffers");
        }
        VirtqBuffer buffer = _buffers[_index];
        int take = (int)Math.Min((uint)wanted, buffer.Length - _within);
        GuestAddress at = buffer.Address.Add(_within);
        _within += (uint)take;
        return (at, take);
    }
}
