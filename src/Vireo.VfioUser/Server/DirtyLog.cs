using System.Numerics;
using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>Pages the device wrote by DMA since logging started (DEVICE_FEATURE
/// DMA_LOGGING_START), at the logging page size, inside the started ranges (all of IOVA space
/// when none were given, as vfio-user.rst says of num_ranges 0).</summary>
internal sealed class DirtyLog
{
    // The smallest page the server tracks: the DMA page size it announces (pgsizes 4096).
    public const ulong MinimumPageSize = 4096;

    private readonly DmaLoggingRange[] _ranges;
    private readonly HashSet<ulong> _dirtyPages = [];

    private DirtyLog(ulong pageSize, DmaLoggingRange[] ranges)
    {
        PageSize = pageSize;
        _ranges = ranges;
    }

    public ulong PageSize { get; }

    /// <summary>Validates a START as linux/vfio.h describes it: a power-of-two page size (below
    /// 4 KiB the device picks 4 KiB and says so in the reply), ranges aligned to it, non-empty,
    /// not wrapping, not overlapping. Anything else is EINVAL.</summary>
    public static DirtyLog Start(DmaLoggingControl control)
    {
        if (control.PageSize == 0 || !BitOperations.IsPow2(control.PageSize))
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA logging page size {control.PageSize:x}");
        }
        ulong pageSize = Math.Max(control.PageSize, MinimumPageSize);
        DmaLoggingRange[] ranges = [.. control.Ranges.OrderBy(r => r.Iova)];
        for (int i = 0; i < ranges.Length; i++)
        {
            DmaLoggingRange r = ranges[i];
            if (r.Length == 0 || r.Iova > ulong.MaxValue - r.Length + 1 || r.Iova % pageSize != 0 || r.Length % pageSize != 0)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA logging range {r.Iova:x}+{r.Length:x} is empty, wraps, or is not aligned to {pageSize:x}");
            }
            if (i > 0 && ranges[i - 1].Iova + (ranges[i - 1].Length - 1) >= r.Iova)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA logging ranges at {ranges[i - 1].Iova:x} and {r.Iova:x} overlap");
            }
        }
        return new DirtyLog(pageSize, ranges);
    }

    /// <summary>Records a device write of [address, address + length).</summary>
    public void MarkWritten(ulong address, ulong length)
    {
        if (length == 0)
        {
            return;
        }
        ulong last = address + (length - 1);
        if (_ranges.Length == 0)
        {
            MarkPages(address, last);
            return;
        }
        foreach (DmaLoggingRange range in _ranges)
        {
            ulong rangeLast = range.Iova + (range.Length - 1);
            if (address <= rangeLast && range.Iova <= last)
            {
                MarkPages(Math.Max(address, range.Iova), Math.Min(last, rangeLast));
            }
        }
    }

    /// <summary>The bitmap of [iova, iova + length) at <paramref name="reportPageSize"/> (one
    /// logged page sets every report page it overlaps, a report page is set if any logged page
    /// in it is), and clears the logged pages the report covers entirely; a logged page only
    /// partly covered stays dirty, so it is reported again rather than lost.</summary>
    public ulong[] Report(ulong iova, ulong length, ulong reportPageSize)
    {
        if (reportPageSize == 0 || !BitOperations.IsPow2(reportPageSize) || length == 0
            || iova > ulong.MaxValue - length + 1 || iova % reportPageSize != 0 || length % reportPageSize != 0)
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA logging report {iova:x}+{length:x} at page size {reportPageSize:x}");
        }
        ulong last = iova + (length - 1);
        if (_ranges.Length != 0 && !Covered(iova, last))
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA logging report {iova:x}+{length:x} is outside the logged ranges");
        }
        var bitmap = new ulong[DmaLoggingReport.BitmapBytes(length, reportPageSize)!.Value / 8];
        var reported = new List<ulong>();
        foreach (ulong page in _dirtyPages)
        {
            ulong start = page * PageSize;
            ulong end = start + (PageSize - 1);
            if (end < iova || start > last)
            {
                continue;
            }
            ulong from = (Math.Max(start, iova) - iova) / reportPageSize;
            ulong to = (Math.Min(end, last) - iova) / reportPageSize;
            for (ulong bit = from; bit <= to; bit++)
            {
                bitmap[bit / 64] |= 1UL << (int)(bit % 64);
            }
            if (start >= iova && end <= last)
            {
                reported.Add(page);
            }
        }
        foreach (ulong page in reported)
        {
            _dirtyPages.Remove(page);
        }
        return bitmap;
    }

    private void MarkPages(ulong first, ulong last)
    {
        for (ulong page = first / PageSize; page <= last / PageSize; page++)
        {
            _dirtyPages.Add(page);
            if (page == ulong.MaxValue)
            {
                break;
            }
        }
    }

    private bool Covered(ulong first, ulong last)
    {
        // The ranges are sorted and disjoint: walk them while they continue without a gap.
        ulong next = first;
        foreach (DmaLoggingRange range in _ranges)
        {
            ulong rangeLast = range.Iova + (range.Length - 1);
            if (range.Iova > next)
            {
                break;
            }
            if (rangeLast >= next)
            {
                if (rangeLast >= last)
                {
                    return true;
                }
                next = rangeLast + 1;
            }
        }
        return false;
    }
}
