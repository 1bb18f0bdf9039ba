using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A network backend over a host <see cref="TapDevice"/>, which it owns: frames and their
/// virtio-net headers go to and come from the kernel unchanged, so the guest's checksum and TSO
/// offloads reach the host stack and the host's come back. The offloads it supports are those the
/// kernel accepted when the backend was made (checksum, TSO4, TSO6 and ECN where available).</summary>
public sealed class TapBackend : INetBackend, IDisposable
{
    private const TunOffloads Wanted = TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn;

    private readonly TapDevice _tap;

    /// <summary>A backend over <paramref name="tap"/>: probes the offloads the kernel takes, then
    /// turns them off until a driver negotiates them.</summary>
    /// <param name="tap">The tap; the backend owns it from now on.</param>
    /// <exception cref="IOException">The kernel refused the probe.</exception>
    public TapBackend(TapDevice tap)
    {
        ArgumentNullException.ThrowIfNull(tap);
        _tap = tap;
        try
        {
            SupportedOffloads = tap.SetOffloads(Wanted);
            tap.SetOffloads(TunOffloads.None);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"tap {tap.Name}: {e.Message}", e);
        }
    }

    /// <summary>The tap's interface name on the host.</summary>
    public string Name => _tap.Name;

    /// <inheritdoc/>
    public SafeFd ReadableHandle => _tap.Handle;

    /// <inheritdoc/>
    public TunOffloads SupportedOffloads { get; }

    /// <inheritdoc/>
    public TunOffloads SetOffloads(TunOffloads offloads)
    {
        try
        {
            return _tap.SetOffloads(offloads & SupportedOffloads);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"tap {_tap.Name}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        try
        {
            return _tap.Write(header, frame);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"tap {_tap.Name}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>One writev of the header and the guest's buffers.</remarks>
    public bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<IoSegment> frame)
    {
        try
        {
            return _tap.Write(header, frame);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"tap {_tap.Name}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public int Receive(Span<byte> header, Span<byte> frame)
    {
        try
        {
            return _tap.Read(header, frame);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"tap {_tap.Name}: {e.Message}", e);
        }
    }

    /// <summary>Closes the tap, which removes the interface from the host.</summary>
    public void Dispose() => _tap.Dispose();
}
