using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>An <see cref="IVfioDevice"/> that behaves as kernel VFIO does where it differs from a
/// vfio-user server: it needs no shared memory (DMA maps by host address), its mappable region's
/// descriptor is a device file rather than a sized memfd, and it offers no ioeventfds. Config
/// space and BAR0's registers live in arrays; BAR2 (one page) is mappable through /dev/zero. It has
/// INTx and one MSI vector, and, as vfio-pci does, refuses (EINVAL) to enable an IRQ index while
/// another is live; every IRQ call is logged, and so is every config region access. A test may
/// shape its config space (the capability list after the defaults are written) and change it
/// later, as the device would (Status' Interrupt Status).</summary>
internal sealed class KernelLikeVfioDevice : IVfioDevice
{
    public const ushort Vendor = 0x1234;
    public const ushort Device = 0x11e8;
    public const uint IdRegister = 0x010000ed;
    public const ulong Bar0Size = 1 << 20;
    public const ulong Bar2Size = 4096;
    private const ulong Bar2FileOffset = 2UL << 40; // VFIO_PCI_INDEX_TO_OFFSET(2)

    private readonly byte[] _config = new byte[PciConfigSpace.StandardSize];
    private readonly byte[] _bar0 = new byte[256];
    private readonly Lock _gate = new();

    public KernelLikeVfioDevice(Action<byte[]>? shapeConfig = null)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_config, Vendor);
        BinaryPrimitives.WriteUInt16LittleEndian(_config.AsSpan(2), Device);
        _config[0x0b] = 0x00; // class: unclassified
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(PciConfigSpace.BarOffset), 0); // BAR0: 32-bit memory
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(PciConfigSpace.BarOffset + 8), 0); // BAR2: 32-bit memory
        BinaryPrimitives.WriteUInt32LittleEndian(_bar0, IdRegister);
        _config[PciConfigSpace.StatusOffset] = 0x10; // capability list
        _config[PciConfigSpace.CapabilityPointerOffset] = 0x40;
        _config[0x40] = PciConfigSpace.MsiCapabilityId; // next 0; control 0: one vector, 32-bit
        _config[PciConfigSpace.InterruptPinOffset] = 1; // INTA
        shapeConfig?.Invoke(_config);
    }

    /// <summary>Every config region read (offset, length), in order.</summary>
    public List<(int Offset, int Length)> ConfigReads { get; } = [];

    /// <summary>Every config region write (offset, bytes), in order; config space itself keeps
    /// what the device holds.</summary>
    public List<(int Offset, byte[] Data)> ConfigWrites { get; } = [];

    /// <summary>Sets a config byte as the device itself would.</summary>
    public void SetConfig(int offset, byte value)
    {
        lock (_gate)
        {
            _config[offset] = value;
        }
    }

    /// <summary>Every IRQ call, in order ("set Msi", "disable Intx", "unmask-fd Intx", ...).</summary>
    public List<string> IrqLog { get; } = [];

    /// <summary>The live IRQ index, as vfio-pci's irq_type: at most one.</summary>
    public VfioIrqIndex? Live { get; private set; }

    public List<VfioDmaRegion> Mapped { get; } = [];

    /// <summary>Whether it offers the low-power features (3, 4, 5).</summary>
    public bool SupportsLowPower { get; set; } = true;

    /// <summary>The wake eventfd of the last LOW_POWER_ENTRY_WITH_WAKEUP; signal it to play the kernel waking the device.</summary>
    public EventFd? Wake { get; private set; }

    /// <summary>Power calls in order: "entry", "entry-wakeup", "exit".</summary>
    public List<string> PowerLog { get; } = [];

    /// <summary>Whether LOW_POWER_ENTRY_WITH_WAKEUP is offered beside the plain entry (a kernel
    /// before 6.1's wakeup form, or a server that has no wake source, offers only the plain one).</summary>
    public bool OffersWakeup { get; set; } = true;

    /// <summary>Writes that reached BAR2 through the function (trapped ones).</summary>
    public int Bar2Writes;

    public string Backend => "vfio (test)";

    public bool NeedsSharedMemory => false;

    public bool IsConnected => true;

    public event Action<Exception>? Disconnected
    {
        add { }
        remove { }
    }

    public DeviceInfo GetDeviceInfo() => new(16, DeviceInfoFlags.Pci | DeviceInfoFlags.Reset, 9, OffersAcpiNotify ? 6u : 5u);

    /// <summary>Whether it has IRQ index 5, the ACPI notify channel (no stock kernel does).</summary>
    public bool OffersAcpiNotify { get; init; }

    /// <summary>The eventfd the function gave index 5; write an AcpiNotification value to play the device.</summary>
    public EventFd? AcpiNotifyChannel { get; private set; }

    public RegionInfo GetRegionInfo(uint index, out SafeFd? fd)
    {
        fd = null;
        switch (index)
        {
            case 0:
                return new RegionInfo(32, RegionInfoFlags.Read | RegionInfoFlags.Write, 0, 0, Bar0Size, 0, null);
            case 2:
                fd = SafeFd.Open("/dev/zero", OpenFlags.ReadWrite);
                return new RegionInfo(32, RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap, 2, 0, Bar2Size, Bar2FileOffset, null);
            case VfioRegionIndex.Config:
                return new RegionInfo(32, RegionInfoFlags.Read | RegionInfoFlags.Write, index, 0, PciConfigSpace.StandardSize, 7UL << 40, null);
            default:
                return new RegionInfo(32, RegionInfoFlags.None, index, 0, 0, 0, null);
        }
    }

    public IReadOnlyList<RegionIoEventFd> GetRegionIoEventFds(uint index) => [];

    public IrqInfo GetIrqInfo(uint index) => index switch
    {
        0 => new(16, IrqInfoFlags.EventFd | IrqInfoFlags.Maskable | IrqInfoFlags.AutoMasked, index, 1),
        1 => new(16, IrqInfoFlags.EventFd | IrqInfoFlags.NoResize, index, 1),
        5 when OffersAcpiNotify => new(16, IrqInfoFlags.EventFd, index, 1),
        _ => new(16, IrqInfoFlags.None, index, 0),
    };

    public void ReadRegion(uint region, ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            if (region == VfioRegionIndex.Config)
            {
                ConfigReads.Add(((int)offset, data.Length));
            }
            Span<byte> source = region switch
            {
                VfioRegionIndex.Config => _config,
                0 => _bar0,
                _ => throw new ErrnoException(Errno.EINVAL, $"pread region {region}"),
            };
            data.Fill(0xff);
            if (offset < (ulong)source.Length)
            {
                source[(int)offset..Math.Min(source.Length, (int)offset + data.Length)].CopyTo(data);
            }
        }
    }

    public void WriteRegion(uint region, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (region == VfioRegionIndex.Config)
            {
                ConfigWrites.Add(((int)offset, data.ToArray()));
            }
            if (region == 2)
            {
                Bar2Writes++;
            }
            if (region == 0 && offset + (ulong)data.Length <= (ulong)_bar0.Length)
            {
                data.CopyTo(_bar0.AsSpan((int)offset));
            }
        }
    }

    public uint Bar0Register(int offset)
    {
        lock (_gate)
        {
            return BinaryPrimitives.ReadUInt32LittleEndian(_bar0.AsSpan(offset));
        }
    }

    public void SetIrqEventFds(VfioIrqIndex index, uint start, IReadOnlyList<EventFd> eventFds)
    {
        IrqLog.Add($"set {index}");
        if (index == VfioIrqIndex.AcpiNotify)
        {
            // A channel, not an interrupt type: it does not count against the one live index.
            AcpiNotifyChannel = eventFds.Single();
            return;
        }
        if (Live is VfioIrqIndex live && live != index)
        {
            // vfio_pci_set_irqs_ioctl: one interrupt type at a time.
            throw new ErrnoException(Errno.EINVAL, $"VFIO_DEVICE_SET_IRQS({index})");
        }
        Live = index;
    }

    public void DisableIrqs(VfioIrqIndex index)
    {
        IrqLog.Add($"disable {index}");
        if (index == VfioIrqIndex.AcpiNotify)
        {
            AcpiNotifyChannel = null;
        }
        if (Live == index)
        {
            Live = null;
        }
    }

    public void SetIrqUnmaskEventFd(VfioIrqIndex index, EventFd? unmask) => IrqLog.Add($"unmask-fd {index}");

    public void MaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1) => IrqLog.Add($"mask {index}");

    public void UnmaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1) => IrqLog.Add($"unmask {index}");

    public void Reset()
    {
    }

    public void MapDma(VfioDmaRegion region) => Mapped.Add(region);

    public void UnmapDma(ulong iova, ulong size) => Mapped.RemoveAll(r => r.Iova == iova && r.Size == size);

    public bool ProbeFeature(DeviceFeatureId feature, DeviceFeatureFlags operations)
        => SupportsLowPower && (feature is DeviceFeatureId.LowPowerEntry or DeviceFeatureId.LowPowerExit
            || (OffersWakeup && feature == DeviceFeatureId.LowPowerEntryWithWakeup));

    public void LowPowerEntry() => PowerLog.Add("entry");

    public void LowPowerEntryWithWakeup(EventFd wake)
    {
        PowerLog.Add("entry-wakeup");
        Wake = wake;
    }

    public void LowPowerExit() => PowerLog.Add("exit");

    /// <summary>How often the device was closed (its descriptors given back to the host).</summary>
    public int Disposals => Volatile.Read(ref _disposals);

    private int _disposals;

    public void Dispose() => Interlocked.Increment(ref _disposals);
}
