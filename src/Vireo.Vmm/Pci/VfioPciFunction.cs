using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

/// <summary>
/// The VMM side of an assigned PCI function, whichever backend holds the device: a vfio-user
/// server process or the kernel's VFIO (<see cref="IVfioDevice"/>). It sits on the root bus like
/// any <see cref="IPciFunction"/> and turns guest accesses into device region accesses. Config
/// space is forwarded to the device's config region, except what the VMM must own: the Command
/// register, the MSI and MSI-X capabilities and the Interrupt Pin, which are shadowed here (the
/// guest's writes still reach the device, so it knows its interrupt mode), and, for a device
/// without one, a virtual PCI PM capability the device never sees. BAR accesses become
/// region reads and writes, except the MSI-X table and PBA, which <see cref="MsixVectors"/>
/// emulates; areas the device offers for mmap are handed to the VMM by <see cref="MapArea"/>, and
/// a server's ioeventfds follow their BAR around the guest's address space. Bound to a machine,
/// it DMA-maps guest RAM and wires MSI-X, MSI and INTx (with a resample eventfd as the device's
/// unmask, so a stuck line costs the host nothing between EOIs) through KVM.
/// </summary>
/// <remarks>
/// <para>A server that dies, stalls past the reply timeout or breaks the protocol during a vCPU
/// access (or a kernel device whose region access fails) makes the function lost: <see cref="PciFunctionHost.DeviceLost"/> is called once, and
/// from then on its config space and BARs read all-ones and writes are dropped; no exception
/// reaches the vCPU. An error reply (the server refusing one access) is not a loss: that access
/// reads all-ones.</para>
/// <para>Threads: as <see cref="IPciFunction"/>. Config accesses, placements, Bind and Unbind are
/// serialized by one lock; BAR accesses run concurrently from vCPU threads and hold no lock
/// (a vfio-user client matches concurrent requests with their replies; the kernel takes
/// concurrent preads and pwrites).</para>
/// <para>Lifetime: the machine binds the function after the root bus has attached it and
/// unbinds it when the machine is disposed, before the next machine attaches it again; Unbind
/// returns the shadowed registers to their reset values for that next machine.</para>
/// </remarks>
public sealed partial class VfioPciFunction : IMachineBoundPciFunction, IDisposable
{
    /// <summary>How long a vCPU waits for the server by default before the device counts as lost:
    /// long enough for a loaded host, short enough that a stalled server does not look like a
    /// hung guest.</summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The largest memory BAR accepted from a server (1 TiB): past it a size is a
    /// server's mistake, not a device.</summary>
    public const ulong MaxMemoryBarSize = 1UL << 40;

    private const int BarCount = 6;

    private readonly IVfioDevice _device;
    private readonly Lock _gate = new();
    private readonly bool _canReset;
    private readonly BarRegion?[] _regions = new BarRegion?[BarCount];
    private readonly PciBarDescriptor[] _bars;
    private readonly MmioAddress?[] _placed = new MmioAddress?[BarCount];
    private readonly List<IDisposable>?[] _ioEventFdRegistrations = new List<IDisposable>?[BarCount];
    private readonly List<(ulong Address, ulong Size)> _dmaMapped = [];
    private int _lost;
    private string? _lostReason;
    private bool _deviceClosed;
    private PciFunctionHost? _host;

    private VfioPciFunction(IVfioDevice device, string id)
    {
        _device = device;
        Id = id;
        try
        {
            DeviceInfo info = device.GetDeviceInfo();
            if ((info.Flags & DeviceInfoFlags.Pci) == 0)
            {
                throw Bad($"is not a PCI device (device info flags 0x{(uint)info.Flags:x})");
            }
            if (info.NumRegions <= VfioRegionIndex.Config)
            {
                throw Bad($"reports {info.NumRegions} regions, so it has no config region (index {VfioRegionIndex.Config})");
            }
            _canReset = (info.Flags & DeviceInfoFlags.Reset) != 0;
            RegionInfo config = device.GetRegionInfo(VfioRegionIndex.Config, out SafeFd? configFd);
            configFd?.Dispose();
            if (config.Size is not (PciConfigSpace.StandardSize or PciConfigSpace.ExtendedSize))
            {
                throw Bad($"config region is 0x{config.Size:x} bytes, not 256 or 4096");
            }
            ConfigSize = (int)config.Size;
            byte[] header = new byte[PciConfigSpace.StandardSize];
            device.ReadRegion(VfioRegionIndex.Config, 0, header);
            VendorId = BinaryPrimitives.ReadUInt16LittleEndian(header);
            DeviceId = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));

            ReadBarRegions(header);
            uint intxCount = IrqCount(info, VfioIrqIndex.Intx);
            uint msiCount = IrqCount(info, VfioIrqIndex.Msi);
            uint msixCount = IrqCount(info, VfioIrqIndex.Msix);
            List<(int Offset, byte Id)> capabilities = WalkCapabilities(header, msiCount, msixCount);
            PlanPowerManagement(header, capabilities);
            _hasAcpiNotify = IrqCount(info, VfioIrqIndex.AcpiNotify) > 0;
            _hasIntx = header[PciConfigSpace.InterruptPinOffset] != 0 && intxCount > 0;
            InitShadow(header);
            _bars = BuildDescriptors();
            ReadIoEventFds();
            // A server that dies is lost when its socket closes, not at the guest's next access.
            device.Disconnected += Lose;
            if (!device.IsConnected)
            {
                Lose(new VfioUserDisconnectedException("the server closed the connection"));
            }
        }
        catch
        {
            ReleaseRegions();
            throw;
        }
    }

    /// <summary>Connects to the vfio-user server at <paramref name="socketPath"/> and reads the
    /// device: regions, IRQs, config space. The function owns the connection.</summary>
    /// <param name="socketPath">The server's UNIX socket.</param>
    /// <param name="id">The function's name in the machine ("sample", "nvme0").</param>
    /// <param name="replyTimeout">How long any request may wait for the server before the device
    /// counts as lost; <see cref="DefaultReplyTimeout"/> when null.</param>
    /// <exception cref="MachineBuildException">The server cannot be reached, or answered
    /// something no PCI device can be built from; the message names the device.</exception>
    public static VfioPciFunction ConnectVfioUser(string socketPath, string id, TimeSpan? replyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(id);
        VfioUserClient client;
        try
        {
            client = VfioUserClient.Connect(socketPath, new VfioUserClientOptions { ReplyTimeout = replyTimeout ?? DefaultReplyTimeout });
        }
        catch (Exception e) when (e is VireoException or TimeoutException)
        {
            throw new MachineBuildException($"vfio-user device '{id}': cannot connect to {socketPath}: {e.Message}", e);
        }
        return Open(client, id);
    }

    /// <summary>Builds the function over an open <paramref name="device"/> (a negotiated
    /// vfio-user client, a kernel VFIO device), taking ownership of it (it is disposed if this
    /// fails). Give a vfio-user client a bounded <see cref="VfioUserClientOptions.ReplyTimeout"/>:
    /// it is how long a vCPU can wait.</summary>
    /// <param name="device">The device.</param>
    /// <param name="id">The function's name in the machine.</param>
    /// <exception cref="MachineBuildException">The device describes something no PCI device can
    /// be built from, or stopped answering; the message names the device.</exception>
    public static VfioPciFunction Open(IVfioDevice device, string id)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            return new VfioPciFunction(device, id);
        }
        catch (MachineBuildException)
        {
            device.Dispose();
            throw;
        }
        catch (Exception e) when (e is VireoException or TimeoutException or ArgumentException)
        {
            device.Dispose();
            throw new MachineBuildException($"{device.Backend} device '{id}': {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public IReadOnlyList<PciBarDescriptor> Bars => _bars;

    /// <inheritdoc/>
    public int ConfigSize { get; }

    /// <summary>The PCI vendor ID the device reported at connect (still known once it is lost), for <c>vm.info</c>.</summary>
    public ushort VendorId { get; }

    /// <summary>The PCI device ID the device reported at connect, for <c>vm.info</c>.</summary>
    public ushort DeviceId { get; }

    /// <inheritdoc/>
    public string Backend => _device.Backend;

    /// <summary>True for a vfio-user server, which reaches guest RAM through DMA mappings of its
    /// memfds; false for the kernel, which pins the VMM's own mapping.</summary>
    public bool NeedsSharedMemory => _device.NeedsSharedMemory;

    /// <inheritdoc/>
    public bool IsAlive => Volatile.Read(ref _lost) == 0;

    /// <summary>Why the device was lost, in words; null while it is alive.</summary>
    public string? LostReason => Volatile.Read(ref _lost) == 0 ? null : _lostReason;

    /// <summary>The device (for tests and for features the proxy does not cover).</summary>
    public IVfioDevice Device => _device;

    /// <inheritdoc/>
    public MappedMemory MapArea(int index, PciMmapArea area)
    {
        BarRegion region = (uint)index < BarCount && _regions[index] is BarRegion r
            ? r
            : throw new MachineBuildException($"{Backend} device '{Id}' has no BAR{index}");
        if (region.Fd is not SafeFd fd || !region.Descriptor.MmapAreas.Contains(area))
        {
            throw new MachineBuildException($"{Backend} device '{Id}' BAR{index} offers no mmap area {area}");
        }
        if (!IsAlive)
        {
            throw new MachineBuildException($"{Backend} device '{Id}' is gone: {_lostReason}");
        }
        ulong offset = region.FileOffset + area.Offset;
        // A server may have cut its file since it was checked at connect; a mapping past the end
        // would fault inside KVM on the guest's first touch. (A device file refuses such an mmap.)
        if (FileDescriptor.IsRegularFile(fd))
        {
            long fileSize = FileDescriptor.GetSize(fd);
            if (fileSize < 0 || (ulong)fileSize < offset || (ulong)fileSize - offset < area.Size)
            {
                throw new MachineBuildException($"{Backend} device '{Id}' BAR{index} area {area} lies past the end of the server's 0x{fileSize:x}-byte file");
            }
        }
        return MappedMemory.MapShared(fd, area.Size, (long)offset, $"mmap {Backend} '{Id}' BAR{index}");
    }

    /// <summary>Unbinds, closes the region and ioeventfd descriptors and the connection.</summary>
    public void Dispose()
    {
        Unbind();
        lock (_gate)
        {
            ReleaseRegions();
            CloseDevice();
        }
    }

    /// <summary>Under the lock: closes the device once (an ejected function's is closed already
    /// when its owner disposes it).</summary>
    private void CloseDevice()
    {
        if (!_deviceClosed)
        {
            _deviceClosed = true;
            _device.Dispose();
        }
    }

    /// <summary>Marks the device lost and tells the machine, once; later failures are quiet.</summary>
    private void Lose(Exception cause)
    {
        string reason = cause is TimeoutException ? $"the server did not answer in time ({cause.Message})" : cause.Message;
        Interlocked.CompareExchange(ref _lostReason, reason, null);
        if (Interlocked.Exchange(ref _lost, 1) != 0)
        {
            return;
        }
        Volatile.Read(ref _host)?.DeviceLost($"{Backend} device '{Id}' lost: {reason}");
    }

    /// <summary>Whether <paramref name="e"/> from the device means it can no longer be trusted (a
    /// server closed, stalled or out of step, a kernel device failing) rather than one refused request.</summary>
    private static bool IsConnectionFailure(Exception e)
        => e is TimeoutException or VfioUserDisconnectedException or ObjectDisposedException or InvalidOperationException
            || (e is VfioUserException v && !v.IsErrorReply)
            || (e is ErrnoException);

    /// <summary>Whether <paramref name="e"/> is any failure a device call reports.</summary>
    private static bool IsDeviceFailure(Exception e) => IsConnectionFailure(e) || e is VfioUserException;

    private MachineBuildException Bad(string what) => new($"{Backend} device '{Id}' {what}");

    private uint IrqCount(DeviceInfo info, VfioIrqIndex index)
    {
        if ((uint)index >= info.NumIrqs)
        {
            return 0;
        }
        IrqInfo irq = _device.GetIrqInfo((uint)index);
        if (irq.Count == 0)
        {
            return 0;
        }
        if (irq.Count > 2048)
        {
            throw Bad($"reports {irq.Count} vectors for IRQ index {index}; PCI has at most 2048");
        }
        if ((irq.Flags & IrqInfoFlags.EventFd) == 0)
        {
            throw Bad($"cannot signal IRQ index {index} through eventfds (flags 0x{(uint)irq.Flags:x})");
        }
        return irq.Count;
    }

    private void ReadBarRegions(byte[] header)
    {
        bool upperHalf = false;
        for (int i = 0; i < BarCount; i++)
        {
            RegionInfo info = _device.GetRegionInfo((uint)i, out SafeFd? fd);
            uint register = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(PciConfigSpace.BarOffset + (i * 4)));
            if (upperHalf)
            {
                fd?.Dispose();
                upperHalf = false;
                if (info.Size != 0)
                {
                    throw Bad($"gives BAR{i} 0x{info.Size:x} bytes, but its register is the upper half of 64-bit BAR{i - 1}");
                }
                continue;
            }
            if (info.Size == 0)
            {
                fd?.Dispose();
                continue;
            }
            try
            {
                _regions[i] = ReadBarRegion(i, info, register, fd);
            }
            catch
            {
                fd?.Dispose();
                throw;
            }
            upperHalf = _regions[i]!.Kind == PciBarKind.Memory64;
        }
    }

    private BarRegion ReadBarRegion(int index, RegionInfo info, uint register, SafeFd? fd)
    {
        // PCI 3.0 §6.2.5.1: bit 0 I/O; for memory bits 2:1 the type (00 32-bit, 10 64-bit), bit 3 prefetchable.
        PciBarKind kind = (register & 1) != 0
            ? PciBarKind.Io
            : ((register >> 1) & 3) switch
            {
                0 => PciBarKind.Memory32,
                2 => PciBarKind.Memory64,
                _ => throw Bad($"BAR{index} register 0x{register:x8} has the reserved memory type {(register >> 1) & 3}"),
            };
        if (kind == PciBarKind.Memory64 && index == BarCount - 1)
        {
            throw Bad("says BAR5 is 64-bit, but there is no BAR6 for its upper half");
        }
        if (!ulong.IsPow2(info.Size))
        {
            throw Bad($"gives BAR{index} 0x{info.Size:x} bytes, not a power of two");
        }
        ulong max = kind switch
        {
            PciBarKind.Io => PciBarDescriptor.MaxIoSize,
            PciBarKind.Memory32 => PciBarDescriptor.MaxMemory32Size,
            _ => MaxMemoryBarSize,
        };
        ulong min = kind == PciBarKind.Io ? PciBarDescriptor.MinIoSize : PciBarDescriptor.MinMemorySize;
        if (info.Size > max || info.Size < min)
        {
            throw Bad($"gives {kind} BAR{index} 0x{info.Size:x} bytes, outside 0x{min:x}-0x{max:x}");
        }
        bool prefetchable = kind != PciBarKind.Io && (register & 8) != 0;
        List<PciMmapArea> areas = [];
        if ((info.Flags & RegionInfoFlags.Mmap) != 0 && kind != PciBarKind.Io)
        {
            if (fd is null)
            {
                throw Bad($"says BAR{index} can be mapped but sent no file descriptor for it");
            }
            if (info.SparseAreas is { } sparse)
            {
                areas.AddRange(sparse.Select(a => new PciMmapArea(a.Offset, a.Size)));
            }
            else
            {
                areas.Add(new PciMmapArea(0, info.Size));
            }
            CheckFileCovers(index, fd, info.Offset, areas);
        }
        else
        {
            // No mmap: the fd (if any) is of no use and must not linger.
            fd?.Dispose();
            fd = null;
        }
        return new BarRegion(index, info.Size, kind, prefetchable, info.Offset, fd, areas);
    }

    private void CheckFileCovers(int index, SafeFd fd, ulong fileOffset, List<PciMmapArea> areas)
    {
        if (!FileDescriptor.IsRegularFile(fd))
        {
            // A device file (kernel VFIO's device fd) has no size to check; its mmap refuses a
            // range it does not have.
            return;
        }
        long size = FileDescriptor.GetSize(fd);
        foreach (PciMmapArea area in areas)
        {
            ulong end = fileOffset + area.Offset + area.Size;
            if (end < fileOffset || size < 0 || (ulong)size < end)
            {
                throw Bad($"offers BAR{index} area {area} at file offset 0x{fileOffset:x}, past the end of its 0x{size:x}-byte file");
            }
        }
    }

    private PciBarDescriptor[] BuildDescriptors()
    {
        var descriptors = new List<PciBarDescriptor>();
        foreach (BarRegion? region in _regions)
        {
            if (region is null)
            {
                continue;
            }
            List<PciMmapArea> areas = region.Areas;
            if (_msixLayout is { } m)
            {
                // The table and PBA are the VMM's: their pages stay trapped even if the server offers them.
                if (m.TableBar == region.Index)
                {
                    areas = Exclude(areas, m.TableOffset, (ulong)m.TableLength);
                }
                if (m.PbaBar == region.Index)
                {
                    areas = Exclude(areas, m.PbaOffset, (ulong)m.PbaLength);
                }
            }
            try
            {
                region.Descriptor = new PciBarDescriptor(region.Index, region.Size, region.Kind, region.Prefetchable, areas);
            }
            catch (ArgumentException e)
            {
                throw Bad($"describes BAR{region.Index} wrongly: {e.Message}");
            }
            if (region.Descriptor.MmapAreas.Count == 0)
            {
                region.Fd?.Dispose();
                region.Fd = null;
            }
            descriptors.Add(region.Descriptor);
        }
        return [.. descriptors];
    }

    /// <summary>The areas minus the whole pages [start, start + length) touches.</summary>
    private static List<PciMmapArea> Exclude(List<PciMmapArea> areas, ulong start, ulong length)
    {
        ulong page = PciBarDescriptor.PageSize;
        ulong from = start / page * page;
        ulong to = (start + length + page - 1) / page * page;
        var result = new List<PciMmapArea>();
        foreach (PciMmapArea area in areas)
        {
            ulong end = area.Offset + area.Size;
            if (end <= from || area.Offset >= to)
            {
                result.Add(area);
                continue;
            }
            if (area.Offset < from)
            {
                result.Add(new PciMmapArea(area.Offset, from - area.Offset));
            }
            if (end > to)
            {
                result.Add(new PciMmapArea(to, end - to));
            }
        }
        return result;
    }

    private void ReadIoEventFds()
    {
        foreach (BarRegion? region in _regions)
        {
            if (region is null || region.Kind == PciBarKind.Io)
            {
                continue;
            }
            IReadOnlyList<RegionIoEventFd> fds;
            try
            {
                fds = _device.GetRegionIoEventFds((uint)region.Index);
            }
            catch (VfioUserException e) when (e.IsErrorReply)
            {
                // A server without ioeventfds (libvfio-user before they existed) refuses the
                // request: every write simply traps.
                continue;
            }
            region.IoEventFds.AddRange(fds.Select(f => new BarIoEventFd(f)));
            foreach (RegionIoEventFd fd in fds)
            {
                CheckIoEventFd(region, fd.Entry);
            }
        }
    }

    private void CheckIoEventFd(BarRegion region, SubRegionIoEventFd entry)
    {
        string what = $"offers an ioeventfd at BAR{region.Index} 0x{entry.Offset:x}+{entry.Size}";
        if (entry.Size is not (1 or 2 or 4 or 8))
        {
            // linux/kvm.h KVM_IOEVENTFD: len is 1, 2, 4 or 8.
            throw Bad($"{what}: the size is not 1, 2, 4 or 8");
        }
        if (entry.Offset > region.Size || entry.Size > region.Size - entry.Offset)
        {
            throw Bad($"{what}, outside the BAR's 0x{region.Size:x} bytes");
        }
        if ((entry.Flags & IoEventFdFlags.DataMatch) != 0 && entry.Size < 8 && entry.DataMatch >> (int)(entry.Size * 8) != 0)
        {
            throw Bad($"{what}: datamatch 0x{entry.DataMatch:x} does not fit");
        }
        if (_msixLayout is { } m
            && ((m.TableBar == region.Index && Overlaps(entry.Offset, entry.Size, m.TableOffset, (ulong)m.TableLength))
                || (m.PbaBar == region.Index && Overlaps(entry.Offset, entry.Size, m.PbaOffset, (ulong)m.PbaLength))))
        {
            throw Bad($"{what}, inside the MSI-X table or PBA");
        }
    }

    private static bool Overlaps(ulong offset, ulong size, ulong start, ulong length)
        => offset < start + length && start < offset + size;

    private void ReleaseRegions()
    {
        foreach (BarRegion? region in _regions)
        {
            if (region is null)
            {
                continue;
            }
            region.Fd?.Dispose();
            region.Fd = null;
            foreach (BarIoEventFd fd in region.IoEventFds)
            {
                fd.Owner.Dispose();
            }
            region.IoEventFds.Clear();
        }
    }

    /// <summary>What the server said about one BAR's region, and what the proxy keeps for it.</summary>
    private sealed class BarRegion(int index, ulong size, PciBarKind kind, bool prefetchable, ulong fileOffset, SafeFd? fd, List<PciMmapArea> areas)
    {
        public int Index { get; } = index;

        public ulong Size { get; } = size;

        public PciBarKind Kind { get; } = kind;

        public bool Prefetchable { get; } = prefetchable;

        /// <summary>Where the region starts in <see cref="Fd"/> (vfio_region_info.offset).</summary>
        public ulong FileOffset { get; } = fileOffset;

        /// <summary>The region's file, kept while any area can be mapped.</summary>
        public SafeFd? Fd { get; set; } = fd;

        /// <summary>The mmap areas as the server offered them.</summary>
        public List<PciMmapArea> Areas { get; } = areas;

        public PciBarDescriptor Descriptor { get; set; } = null!;

        public List<BarIoEventFd> IoEventFds { get; } = [];
    }

    /// <summary>A server ioeventfd with the <see cref="EventFd"/> view KVM registration takes.</summary>
    private sealed class BarIoEventFd(RegionIoEventFd owner)
    {
        public RegionIoEventFd Owner { get; } = owner;

        public EventFd EventFd { get; } = EventFd.FromHandle(owner.Fd);

        public ulong Offset => Owner.Entry.Offset;

        public int Size => (int)Owner.Entry.Size;

        public ulong? DataMatch => Owner.HasDataMatch ? Owner.Entry.DataMatch : null;
    }
}
