using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// Routes accesses in one address space (port I/O or MMIO) to the device that owns the range.
/// Lookups are lock-free over an immutable sorted array that inserts replace, so vCPU threads
/// never contend. Accesses nobody owns read as all-ones and drop writes, and each such address
/// is reported once, up to a bound, so a guest cannot flood the log.
/// </summary>
public sealed class Bus<TAddress>
    where TAddress : struct, IBusAddress
{
    private readonly object _insertLock = new();
    private readonly UnhandledAccessLog _unhandled;
    private Entry[] _entries = [];

    /// <summary>Creates an empty bus.</summary>
    /// <param name="name">The bus's name in errors and log lines ("pio", "mmio").</param>
    /// <param name="warn">Where accesses to unowned addresses are reported; nowhere when null.</param>
    /// <param name="maxLoggedAddresses">How many distinct unowned addresses are reported before the log goes quiet.</param>
    public Bus(string name, Action<string>? warn = null, int maxLoggedAddresses = 64)
    {
        Name = name;
        _unhandled = new UnhandledAccessLog(name, warn, maxLoggedAddresses);
    }

    /// <summary>The bus's name, as given to the constructor.</summary>
    public string Name { get; }

    /// <summary>A snapshot of the inserted ranges, sorted by start address; for diagnostics and tests.</summary>
    public IReadOnlyList<(TAddress Start, ulong Length, string Name)> Devices
        => Volatile.Read(ref _entries).Select(e => (e.StartAddress, e.Length, e.Name)).ToArray();

    /// <summary>Puts <paramref name="device"/> on the bus for <paramref name="length"/> bytes from <paramref name="start"/>; the device sees offsets from <paramref name="start"/>.</summary>
    /// <param name="start">The first address of the range.</param>
    /// <param name="length">The range's length in bytes; not zero, and the range must not wrap.</param>
    /// <param name="device">The device that handles accesses in the range.</param>
    /// <param name="name">The device's name in error messages and diagnostics.</param>
    /// <exception cref="ArgumentOutOfRangeException">The length is zero or the range wraps.</exception>
    /// <exception cref="BusConflictException">The range overlaps one already inserted.</exception>
    public void Insert(TAddress start, ulong length, IBusDevice device, string name)
    {
        ArgumentNullException.ThrowIfNull(device);
        ulong first = start.Raw;
        if (length == 0 || first + length < first)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"{Name} range for {name} at {start} has length 0x{length:x}");
        }
        lock (_insertLock)
        {
            Entry[] current = _entries;
            foreach (Entry e in current)
            {
                if (first < e.Start + e.Length && e.Start < first + length)
                {
                    throw new BusConflictException(
                        $"{Name}: {name} at {start} (+0x{length:x}) overlaps {e.Name} at {e.StartAddress} (+0x{e.Length:x})");
                }
            }
            Entry[] next = [.. current, new Entry(first, length, device, name, start)];
            Array.Sort(next, static (a, b) => a.Start.CompareTo(b.Start));
            Volatile.Write(ref _entries, next);
        }
    }

    /// <summary>Removes the range that starts at <paramref name="start"/>.</summary>
    /// <returns>False when no range starts there.</returns>
    public bool Remove(TAddress start)
    {
        lock (_insertLock)
        {
            Entry[] current = _entries;
            Entry[] next = current.Where(e => e.Start != start.Raw).ToArray();
            Volatile.Write(ref _entries, next);
            return next.Length != current.Length;
        }
    }

    /// <summary>Reads from the owning device; unowned addresses read as all-ones.</summary>
    public bool Read(TAddress address, Span<byte> data)
    {
        Entry? e = Find(address.Raw, (ulong)data.Length);
        if (e is null)
        {
            data.Fill(0xff);
            _unhandled.Report(address.Raw, "read", data.Length);
            return false;
        }
        e.Device.Read(address.Raw - e.Start, data);
        return true;
    }

    /// <summary>Writes to the owning device; writes to unowned addresses are dropped.</summary>
    public bool Write(TAddress address, ReadOnlySpan<byte> data)
    {
        Entry? e = Find(address.Raw, (ulong)data.Length);
        if (e is null)
        {
            _unhandled.Report(address.Raw, "write", data.Length);
            return false;
        }
        e.Device.Write(address.Raw - e.Start, data);
        return true;
    }

    private Entry? Find(ulong address, ulong length)
    {
        Entry[] entries = Volatile.Read(ref _entries);
        int lo = 0;
        int hi = entries.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            Entry e = entries[mid];
            if (address < e.Start)
            {
                hi = mid - 1;
            }
            else if (address - e.Start >= e.Length)
            {
                lo = mid + 1;
            }
            else
            {
                // The whole access must fall inside the device's window.
                return length <= e.Length - (address - e.Start) ? e : null;
            }
        }
        return null;
    }

    private sealed record Entry(ulong Start, ulong Length, IBusDevice Device, string Name, TAddress StartAddress);
}
