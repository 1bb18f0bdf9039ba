using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// The virtio-pci modern transport (virtio 1.2 §4.1) for one <see cref="IVirtioDevice"/>:
/// config space with vendor-specific capabilities and MSI-X, and one 32-bit memory BAR holding
/// the common configuration, ISR, device configuration, notification area and MSI-X table/PBA,
/// also reachable through the VIRTIO_PCI_CAP_PCI_CFG window in config space.
/// Queue notifications arrive through BAR writes or <see cref="NotifyQueue"/> (an ioeventfd's
/// handler); interrupts leave through the <see cref="IMsixController"/> the function is
/// attached to, which also owns the MSI-X table, pending bits and masking. A guest ring that
/// breaks the rules sets DEVICE_NEEDS_RESET; a reset (device_status 0) recovers.
/// </summary>
/// <remarks>While the guest has MSI-X disabled (a driver without MSI, <c>pci=nomsi</c>) the
/// function raises INTA# instead, as §4.1.4.5 describes: the line is high while the ISR has a
/// bit set, and the driver's read of the ISR, which clears it, lowers it; the Command register's
/// Interrupt Disable holds it low. Until <see cref="Attach"/> the function answers config
/// space but serves no queue and its MSI-X table reads as zeros. Every entry point takes one lock.</remarks>
public sealed class VirtioPciFunction : IPciFunction
{
    /// <summary>The virtio PCI vendor (§4.1.2).</summary>
    public const ushort VendorId = 0x1af4;
    /// <summary>Modern Device IDs are 0x1040 plus the virtio Device ID (§4.1.2.1).</summary>
    public const ushort DeviceIdBase = 0x1040;
    /// <summary>The Subsystem ID; non-transitional devices use 0x40 or higher (§4.1.2.1).</summary>
    public const ushort SubsystemId = 0x1100;
    /// <summary>The memory BAR everything lives in.</summary>
    public const int BarIndex = 0;
    /// <summary>The BAR's size.</summary>
    public const ulong BarSize = 0x8000;

    /// <summary>BAR offset of struct virtio_pci_common_cfg.</summary>
    public const uint CommonOffset = 0x0000;
    /// <summary>BAR offset of the ISR status byte.</summary>
    public const uint IsrOffset = 0x1000;
    /// <summary>BAR offset of the device configuration.</summary>
    public const uint DeviceConfigOffset = 0x2000;
    /// <summary>BAR offset of the notification area; queue q notifies at q × <see cref="NotifyOffMultiplier"/>.</summary>
    public const uint NotifyOffset = 0x3000;
    /// <summary>BAR offset of the MSI-X table.</summary>
    public const uint MsixTableOffset = 0x4000;
    /// <summary>BAR offset of the MSI-X Pending Bit Array.</summary>
    public const uint MsixPbaOffset = 0x6000;
    /// <summary>notify_off_multiplier: each queue has its own 4-byte doorbell, so an ioeventfd per queue needs no datamatch.</summary>
    public const uint NotifyOffMultiplier = 4;
    /// <summary>The length of the common configuration structure served (through queue_device).</summary>
    public const int CommonLength = 0x38;

    /// <summary>PCI capability ID of vendor-specific capabilities, which virtio uses (§4.1.4).</summary>
    public const byte VendorCapabilityId = 0x09;
    /// <summary>cfg_type VIRTIO_PCI_CAP_COMMON_CFG.</summary>
    public const byte CapCommonCfg = 1;
    /// <summary>cfg_type VIRTIO_PCI_CAP_NOTIFY_CFG.</summary>
    public const byte CapNotifyCfg = 2;
    /// <summary>cfg_type VIRTIO_PCI_CAP_ISR_CFG.</summary>
    public const byte CapIsrCfg = 3;
    /// <summary>cfg_type VIRTIO_PCI_CAP_DEVICE_CFG.</summary>
    public const byte CapDeviceCfg = 4;
    /// <summary>cfg_type VIRTIO_PCI_CAP_PCI_CFG: a window into the BAR through config space (§4.1.4.9).</summary>
    public const byte CapPciCfg = 5;

    /// <summary>VIRTIO_MSI_NO_VECTOR (§4.1.5.1.2).</summary>
    public const ushort NoVector = 0xffff;
    /// <summary>ISR bit 0: a queue interrupt (§4.1.4.5).</summary>
    public const byte IsrQueue = 1;
    /// <summary>ISR bit 1: a device configuration change.</summary>
    public const byte IsrConfig = 2;

    // §4.1.4.3 struct virtio_pci_common_cfg field offsets.
    private const int DeviceFeatureSelect = 0x00;
    private const int DeviceFeature = 0x04;
    private const int DriverFeatureSelect = 0x08;
    private const int DriverFeature = 0x0c;
    private const int ConfigMsixVector = 0x10;
    private const int NumQueues = 0x12;
    private const int DeviceStatus = 0x14;
    private const int ConfigGeneration = 0x15;
    private const int QueueSelect = 0x16;
    private const int QueueSizeField = 0x18;
    private const int QueueMsixVector = 0x1a;
    private const int QueueEnable = 0x1c;
    private const int QueueNotifyOff = 0x1e;
    private const int QueueDesc = 0x20;
    private const int QueueDriver = 0x28;
    private const int QueueDevice = 0x30;

    private readonly Lock _lock = new();
    private readonly IVirtioDevice _device;
    private readonly PciConfigSpace _config;
    private readonly int _vectors;
    private readonly Action<string>? _log;
    private readonly QueueState[] _queues;
    private readonly ulong _offeredFeatures;
    private readonly int _pciCfgCap;
    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;
    private ulong _driverFeatures;
    private ushort _configVector;
    private VirtioStatus _status;
    private byte _configGeneration;
    private ushort _queueSelect;
    private byte _isr;
    private GuestMemory? _memory;
    private IMsixController? _msix;
    private Action<bool>? _intx;
    private bool _intxLevel;

    /// <summary>A transport for <paramref name="device"/> already attached to a machine's
    /// <paramref name="memory"/> and <paramref name="msix"/> (see <see cref="Attach"/>).</summary>
    /// <param name="id">The function's name in the machine.</param>
    /// <param name="device">The device model.</param>
    /// <param name="memory">The guest's RAM, where the rings lie.</param>
    /// <param name="msix">The owner of the function's MSI-X, with <see cref="MsixVectorCount"/> vectors.</param>
    /// <exception cref="ArgumentException">As the unattached constructor, or <paramref name="msix"/> has another vector count.</exception>
    /// <param name="log">Where the function says why it needs a reset, or null.</param>
    public VirtioPciFunction(string id, IVirtioDevice device, GuestMemory memory, IMsixController msix, Action<string>? log = null)
        : this(id, device, log)
    {
        Attach(memory, msix);
    }

    /// <summary>A transport for <paramref name="device"/>, with one MSI-X vector per queue plus
    /// one for configuration changes, not yet attached to a machine.</summary>
    /// <param name="id">The function's name in the machine.</param>
    /// <param name="device">The device model.</param>
    /// <param name="log">Where the function says why it needs a reset (the guest misprogrammed a
    /// queue), or null.</param>
    /// <exception cref="ArgumentException">A queue's maximum size is not a power of two up to 32768, or the device config does not fit.</exception>
    public VirtioPciFunction(string id, IVirtioDevice device, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Id = id;
        _device = device;
        _log = log;
        if (device.ConfigSize is < 0 or > (int)(NotifyOffset - DeviceConfigOffset))
        {
            throw new ArgumentException($"device config of {device.ConfigSize} bytes does not fit the BAR", nameof(device));
        }
        _queues = [.. device.QueueMaxSizes.Select(max => max is 0 or > SplitVirtqueue.MaxSize || !ushort.IsPow2(max)
            ? throw new ArgumentException($"queue size {max} is not a power of two up to {SplitVirtqueue.MaxSize}", nameof(device))
            : new QueueState(max))];
        _offeredFeatures = device.Features | VirtioFeatures.Version1 | VirtioFeatures.EventIdx | VirtioFeatures.IndirectDesc;

        // §4.1.2: a modern-only device has revision 1; the class code tells guests little, so
        // network and block get theirs and the rest "other".
        uint classCode = device.DeviceType switch
        {
            1 => 0x020000,
            2 => 0x010000,
            _ => 0x00ff00,
        };
        _config = new PciConfigSpace(VendorId, (ushort)(DeviceIdBase + device.DeviceType), classCode, revision: 1, subsystemVendorId: VendorId, subsystemId: SubsystemId);
        AddVirtioCapability(CapCommonCfg, CommonOffset, CommonLength);
        int notify = AddVirtioCapability(CapNotifyCfg, NotifyOffset, (uint)_queues.Length * NotifyOffMultiplier, extra: 4);
        _config.SetU32(notify + 16, NotifyOffMultiplier);
        AddVirtioCapability(CapIsrCfg, IsrOffset, 1);
        if (device.ConfigSize > 0)
        {
            AddVirtioCapability(CapDeviceCfg, DeviceConfigOffset, (uint)device.ConfigSize);
        }
        // §4.1.4.9: every device offers the config-space window; its bar, offset and length are
        // the driver's to set, kept here rather than as masks so a data access can act on them.
        _pciCfgCap = AddVirtioCapability(CapPciCfg, 0, 0, extra: 4);
        _vectors = _queues.Length + 1;
        _config.AddMsix(_vectors, BarIndex, MsixTableOffset, BarIndex, MsixPbaOffset);
        _config.SetInterruptPin(1); // INTA#, for a guest that leaves MSI-X off
        _config.Seal();
        Bars = [new PciBarDescriptor(BarIndex, BarSize, PciBarKind.Memory32)];
        ResetDevice();
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public IReadOnlyList<PciBarDescriptor> Bars { get; }

    /// <inheritdoc/>
    public int ConfigSize => PciConfigSpace.StandardSize;

    /// <summary>The device status, as the driver would read it.</summary>
    public VirtioStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>The number of MSI-X vectors: one per queue (vector q for queue q is what Linux
    /// chooses) plus one for configuration changes.</summary>
    public int MsixVectorCount => _vectors;

    /// <summary>True while the guest has MSI-X enabled in the capability.</summary>
    public bool MsixEnabled
    {
        get
        {
            lock (_lock)
            {
                return _config.MsixEnabled;
            }
        }
    }

    /// <summary>The number of queues, each notified at <see cref="QueueNotifyAddress"/>.</summary>
    public int QueueCount => _queues.Length;

    /// <summary>Connects the function to a machine: its guest RAM, the owner of its MSI-X and
    /// its INTA# line (<paramref name="intx"/> sets the line's level; null: no INTx, and with
    /// MSI-X off an interrupt only sets the ISR). Once per function; a new machine gets a new function.</summary>
    /// <exception cref="ArgumentException"><paramref name="msix"/> does not have <see cref="MsixVectorCount"/> vectors.</exception>
    /// <exception cref="InvalidOperationException">The function is attached already.</exception>
    public void Attach(GuestMemory memory, IMsixController msix, Action<bool>? intx = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(msix);
        if (msix.Vectors != _vectors)
        {
            throw new ArgumentException($"the function has {_vectors} MSI-X vectors, the controller {msix.Vectors}", nameof(msix));
        }
        lock (_lock)
        {
            if (_memory is not null)
            {
                throw new InvalidOperationException($"virtio function '{Id}' is attached already");
            }
            _memory = memory;
            _msix = msix;
            _intx = intx;
            msix.SetControl(_config.MsixEnabled, _config.MsixFunctionMasked);
        }
    }

    /// <summary>The BAR offset a driver writes to notify queue <paramref name="queue"/>: where
    /// the machine registers that queue's ioeventfd.</summary>
    /// <param name="queue">The queue index.</param>
    public static ulong QueueNotifyAddress(int queue) => NotifyOffset + ((ulong)queue * NotifyOffMultiplier);

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        lock (_lock)
        {
            if (PciCfgData(offset, data.Length) is (ulong barOffset, int length))
            {
                Span<byte> window = stackalloc byte[4];
                window.Clear();
                ReadBarLocked(barOffset, window[..length]);
                _config.SetU32(_pciCfgCap + 16, BinaryPrimitives.ReadUInt32LittleEndian(window));
            }
            _config.Read(offset, data);
        }
    }

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        int queueToNotify = -1;
        lock (_lock)
        {
            if (offset >= _pciCfgCap + 4 && offset + data.Length <= _pciCfgCap + 20)
            {
                WritePciCfg(offset, data, ref queueToNotify);
            }
            else
            {
                _config.Write(offset, data);
                _msix?.SetControl(_config.MsixEnabled, _config.MsixFunctionMasked);
                UpdateIntx();
            }
        }
        if (queueToNotify >= 0)
        {
            NotifyQueue(queueToNotify);
        }
    }

    /// <inheritdoc/>
    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        data.Clear();
        if (index != BarIndex)
        {
            return;
        }
        lock (_lock)
        {
            ReadBarLocked(offset, data);
        }
    }

    private void ReadBarLocked(ulong offset, Span<byte> data)
    {
        switch (Region(offset, data.Length))
        {
            case (CommonOffset, int at):
                ReadCommon(at, data);
                break;
            case (IsrOffset, 0):
                // §4.1.4.5.1: reading the ISR clears it.
                data[0] = _isr;
                _isr = 0;
                UpdateIntx();
                break;
            case (DeviceConfigOffset, int at) when at + data.Length <= _device.ConfigSize:
                _device.ReadConfig(at, data);
                break;
            case (MsixTableOffset, int at):
                _msix?.ReadTable((ulong)at, data);
                break;
            case (MsixPbaOffset, int at):
                _msix?.ReadPba((ulong)at, data);
                break;
            default:
                break;
        }
    }

    /// <inheritdoc/>
    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        if (index != BarIndex)
        {
            return;
        }
        int queueToNotify = -1;
        lock (_lock)
        {
            WriteBarLocked(offset, data, ref queueToNotify);
        }
        if (queueToNotify >= 0)
        {
            NotifyQueue(queueToNotify);
        }
    }

    private void WriteBarLocked(ulong offset, ReadOnlySpan<byte> data, ref int queueToNotify)
    {
        switch (Region(offset, data.Length))
        {
            case (CommonOffset, int at):
                WriteCommon(at, data);
                break;
            case (DeviceConfigOffset, int at) when at + data.Length <= _device.ConfigSize:
                _device.WriteConfig(at, data);
                break;
            case (NotifyOffset, int at) when at % NotifyOffMultiplier == 0:
                queueToNotify = (int)(at / NotifyOffMultiplier);
                break;
            case (MsixTableOffset, int at):
                _msix?.WriteTable((ulong)at, data);
                break;
            default:
                break;
        }
    }

    // The window's BAR access, when a config access covers pci_cfg_data and the driver chose
    // BAR 0 and a length of 1, 2 or 4 (§4.1.4.9.1: otherwise the access does nothing).
    private (ulong Offset, int Length)? PciCfgData(int offset, int length)
    {
        int data = _pciCfgCap + 16;
        if (offset + length <= data || offset >= data + 4)
        {
            return null;
        }
        uint windowLength = _config.ReadU32(_pciCfgCap + 12);
        if (_config.ReadU16(_pciCfgCap + 4) != BarIndex || windowLength is not (1 or 2 or 4))
        {
            return null;
        }
        return (_config.ReadU32(_pciCfgCap + 8), (int)windowLength);
    }

    private void WritePciCfg(int offset, ReadOnlySpan<byte> data, ref int queueToNotify)
    {
        // Merge the written bytes into the cap's dwords (bar/id/padding, offset, length, data).
        Span<byte> body = stackalloc byte[16];
        _config.Read(_pciCfgCap + 4, body);
        data.CopyTo(body[(offset - _pciCfgCap - 4)..]);
        body[1] = 0; // id
        body[2] = 0; // padding
        body[3] = 0;
        for (int i = 0; i < 16; i += 4)
        {
            _config.SetU32(_pciCfgCap + 4 + i, BinaryPrimitives.ReadUInt32LittleEndian(body[i..]));
        }
        if (PciCfgData(offset, data.Length) is (ulong barOffset, int length))
        {
            WriteBarLocked(barOffset, body[12..(12 + length)], ref queueToNotify);
        }
    }

    /// <summary>A driver's notification for queue <paramref name="queue"/> (§4.1.5.2), from a
    /// BAR write or the queue's ioeventfd: the device serves the queue and the transport signals
    /// its vector if the driver has not suppressed it. Ignored unless the queue is enabled, the
    /// driver is OK, the device does not need a reset and the guest let the function master the
    /// bus (PCI 3.0 §6.2.2: without Bus Master Enable a function reaches no memory; Linux's
    /// virtio_pci sets it before the driver is OK).</summary>
    /// <param name="queue">The queue index; unknown indices are ignored.</param>
    /// <returns>Whether the device served the queue: false when it was ignored, or when the
    /// device found the ring misprogrammed and now needs a reset.</returns>
    public bool NotifyQueue(int queue)
    {
        lock (_lock)
        {
            if ((uint)queue >= (uint)_queues.Length || _queues[queue].Ring is not SplitVirtqueue ring || _memory is not GuestMemory memory
                || !_config.BusMasterEnabled
                || (_status & (VirtioStatus.DriverOk | VirtioStatus.DeviceNeedsReset)) != VirtioStatus.DriverOk)
            {
                return false;
            }
            try
            {
                _device.ProcessQueue(queue, ring, memory);
                if (ring.ShouldInterrupt())
                {
                    Raise(_queues[queue].Vector, IsrQueue);
                }
                return true;
            }
            catch (VirtqueueException e)
            {
                NeedsReset($"queue {queue}: {e.Message}");
                return false;
            }
        }
    }

    /// <summary>The device changed its configuration space by itself (a console resized, a disk
    /// grew): config_generation moves on, so a driver reading across the change reads again
    /// (§4.1.4.3.1), and once the driver is OK it gets a configuration change interrupt (§2.5.2:
    /// ISR bit 1 and the msix_config vector). Safe from any thread that holds no device lock.</summary>
    public void NotifyConfigChanged()
    {
        lock (_lock)
        {
            _configGeneration++;
            if ((_status & (VirtioStatus.DriverOk | VirtioStatus.DeviceNeedsReset)) == VirtioStatus.DriverOk)
            {
                Raise(_configVector, IsrConfig);
            }
        }
    }

    /// <summary>The transport's state for a snapshot (<see cref="VirtioTransportState"/>), taken
    /// while no queue is being served and the device holds no chain (its worker parked, a disk's
    /// requests completed). PCI config space and the MSI-X table are not in it: they are PCI
    /// state, restored through config and BAR writes as a guest makes them.</summary>
    public VirtioTransportState SaveState()
    {
        lock (_lock)
        {
            var pending = new List<int>();
            Span<byte> pba = stackalloc byte[8];
            for (int word = 0; word * 64 < _vectors; word++)
            {
                pba.Clear();
                _msix?.ReadPba((ulong)word * 8, pba);
                ulong bits = BinaryPrimitives.ReadUInt64LittleEndian(pba);
                for (int bit = 0; bit < 64 && (word * 64) + bit < _vectors; bit++)
                {
                    if ((bits & (1UL << bit)) != 0)
                    {
                        pending.Add((word * 64) + bit);
                    }
                }
            }
            return new VirtioTransportState
            {
                Status = (byte)_status,
                DriverFeatures = _driverFeatures,
                DeviceFeatureSelect = _deviceFeatureSelect,
                DriverFeatureSelect = _driverFeatureSelect,
                ConfigVector = _configVector,
                ConfigGeneration = _configGeneration,
                QueueSelect = _queueSelect,
                Isr = _isr,
                PendingVectors = pending,
                Queues = [.. _queues.Select(q => new VirtioQueueState
                {
                    Size = q.Size,
                    Vector = q.Vector,
                    Enabled = q.Ring is not null,
                    Desc = q.Desc,
                    Driver = q.Driver,
                    Device = q.Device,
                    NextAvail = q.Ring?.NextAvail ?? 0,
                    NextUsed = q.Ring?.NextUsed ?? 0,
                    SignalledUsed = q.Ring?.SignalledUsed ?? 0,
                })],
            };
        }
    }

    /// <summary>Puts a snapshot's <paramref name="state"/> (from <see cref="SaveState"/> of a
    /// transport for the same kind of device) into this one, attached and fresh from reset, after
    /// its PCI config space and MSI-X table are restored: the device gets the negotiated features
    /// again (as at FEATURES_OK; nothing a driver's DRIVER_OK starts is repeated: the guest saw it
    /// the first time), each enabled queue continues at the saved positions, and the vectors that
    /// were pending are signalled again, so the MSI-X controller holds them pending behind their
    /// masks as before. Nothing is changed unless the whole state fits.</summary>
    /// <exception cref="ArgumentException">The state does not fit this device (another queue count,
    /// a queue larger than its maximum, features it does not offer, a vector it lacks, rings outside RAM).</exception>
    /// <exception cref="InvalidOperationException">The transport is not attached, or a driver has programmed it.</exception>
    public void RestoreState(VirtioTransportState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (_memory is not GuestMemory memory || _msix is not IMsixController msix)
            {
                throw new InvalidOperationException($"virtio function '{Id}' is not attached to a machine");
            }
            if (_status != VirtioStatus.None)
            {
                throw new InvalidOperationException($"virtio function '{Id}' has been programmed already; a state is restored into a fresh one");
            }
            if (state.Queues.Count != _queues.Length)
            {
                throw new ArgumentException($"the state has {state.Queues.Count} queues; virtio function '{Id}' has {_queues.Length}", nameof(state));
            }
            if ((state.DriverFeatures & ~_offeredFeatures) != 0)
            {
                throw new ArgumentException($"the state's driver features 0x{state.DriverFeatures:x} include some virtio function '{Id}' does not offer (0x{_offeredFeatures:x})", nameof(state));
            }
            if (state.ConfigVector != NoVector && state.ConfigVector >= _vectors)
            {
                throw new ArgumentException($"the state's configuration vector {state.ConfigVector} is not one of the {_vectors} vectors", nameof(state));
            }
            if (state.PendingVectors.FirstOrDefault(v => (uint)v >= (uint)_vectors, -1) is int badVector && badVector >= 0)
            {
                throw new ArgumentException($"the state's pending vector {badVector} is not one of the {_vectors} vectors", nameof(state));
            }
            var status = (VirtioStatus)state.Status;
            var rings = new SplitVirtqueue?[_queues.Length];
            for (int i = 0; i < _queues.Length; i++)
            {
                VirtioQueueState q = state.Queues[i];
                if (q.Size > _queues[i].MaxSize || q.Size == 0 || !ushort.IsPow2(q.Size))
                {
                    throw new ArgumentException($"the state's queue {i} has size {q.Size}; its maximum is {_queues[i].MaxSize}, in powers of two", nameof(state));
                }
                if (q.Vector != NoVector && q.Vector >= _vectors)
                {
                    throw new ArgumentException($"the state's queue {i} has vector {q.Vector}, not one of the {_vectors} vectors", nameof(state));
                }
                if (!q.Enabled)
                {
                    continue;
                }
                try
                {
                    rings[i] = NewRing(memory, q.Size, q.Desc, q.Driver, q.Device, state.DriverFeatures);
                    rings[i]!.Resume(q.NextAvail, q.NextUsed, q.SignalledUsed);
                }
                catch (VirtqueueException e)
                {
                    throw new ArgumentException($"the state's queue {i} cannot be enabled: {e.Message}", nameof(state), e);
                }
            }

            _status = status;
            _driverFeatures = state.DriverFeatures;
            _deviceFeatureSelect = state.DeviceFeatureSelect;
            _driverFeatureSelect = state.DriverFeatureSelect;
            _configVector = state.ConfigVector;
            _configGeneration = state.ConfigGeneration;
            _queueSelect = state.QueueSelect;
            for (int i = 0; i < _queues.Length; i++)
            {
                VirtioQueueState q = state.Queues[i];
                _queues[i].Size = q.Size;
                _queues[i].Vector = q.Vector;
                _queues[i].Desc = q.Desc;
                _queues[i].Driver = q.Driver;
                _queues[i].Device = q.Device;
                _queues[i].Ring = rings[i];
            }
            if ((status & VirtioStatus.FeaturesOk) != 0)
            {
                _device.FeaturesNegotiated(_driverFeatures);
            }
            _isr = state.Isr;
            UpdateIntx();
            foreach (int vector in state.PendingVectors)
            {
                msix.Signal(vector);
            }
        }
    }

    /// <inheritdoc/>
    public MappedMemory MapArea(int index, PciMmapArea area) => throw new InvalidOperationException("a virtio-pci BAR has no mmap areas");

    /// <inheritdoc/>
    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
    }

    private int AddVirtioCapability(byte type, uint offset, uint length, int extra = 0)
    {
        // §4.1.4 struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, padding[2], offset, length.
        int capLength = 16 + extra;
        int at = _config.AddCapability(VendorCapabilityId, capLength);
        _config.SetU16(at + 2, (ushort)(capLength | (type << 8)));
        _config.SetU16(at + 4, BarIndex);
        _config.SetU32(at + 8, offset);
        _config.SetU32(at + 12, length);
        return at;
    }

    private static (uint Region, int Offset) Region(ulong offset, int length)
    {
        ulong region = offset & ~0xfffUL;
        ulong at = offset & 0xfff;
        if (region == MsixTableOffset + 0x1000)
        {
            // The table may span two pages for many vectors.
            (region, at) = (MsixTableOffset, at + 0x1000);
        }
        return at + (ulong)length > 0x2000 ? (uint.MaxValue, 0) : ((uint)region, (int)at);
    }

    private void ReadCommon(int at, Span<byte> data)
    {
        if (at + data.Length > CommonLength)
        {
            return;
        }
        QueueState? q = _queueSelect < _queues.Length ? _queues[_queueSelect] : null;
        Span<byte> image = stackalloc byte[CommonLength];
        image.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(image[DeviceFeatureSelect..], _deviceFeatureSelect);
        BinaryPrimitives.WriteUInt32LittleEndian(image[DeviceFeature..], _deviceFeatureSelect < 2 ? (uint)(_offeredFeatures >> (int)(32 * _deviceFeatureSelect)) : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(image[DriverFeatureSelect..], _driverFeatureSelect);
        BinaryPrimitives.WriteUInt32LittleEndian(image[DriverFeature..], _driverFeatureSelect < 2 ? (uint)(_driverFeatures >> (int)(32 * _driverFeatureSelect)) : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(image[ConfigMsixVector..], _configVector);
        BinaryPrimitives.WriteUInt16LittleEndian(image[NumQueues..], (ushort)_queues.Length);
        image[DeviceStatus] = (byte)_status;
        image[ConfigGeneration] = _configGeneration;
        BinaryPrimitives.WriteUInt16LittleEndian(image[QueueSelect..], _queueSelect);
        if (q is not null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(image[QueueSizeField..], q.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(image[QueueMsixVector..], q.Vector);
            BinaryPrimitives.WriteUInt16LittleEndian(image[QueueEnable..], q.Ring is null ? (ushort)0 : (ushort)1);
            BinaryPrimitives.WriteUInt16LittleEndian(image[QueueNotifyOff..], _queueSelect);
            BinaryPrimitives.WriteUInt64LittleEndian(image[QueueDesc..], q.Desc);
            BinaryPrimitives.WriteUInt64LittleEndian(image[QueueDriver..], q.Driver);
            BinaryPrimitives.WriteUInt64LittleEndian(image[QueueDevice..], q.Device);
        }
        image.Slice(at, data.Length).CopyTo(data);
    }

    private void WriteCommon(int at, ReadOnlySpan<byte> data)
    {
        ulong value = data.Length switch
        {
            1 => data[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(data),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(data),
            _ => 0,
        };
        QueueState? q = _queueSelect < _queues.Length ? _queues[_queueSelect] : null;
        switch (at, data.Length)
        {
            case (DeviceFeatureSelect, 4):
                _deviceFeatureSelect = (uint)value;
                break;
            case (DriverFeatureSelect, 4):
                _driverFeatureSelect = (uint)value;
                break;
            case (DriverFeature, 4) when _driverFeatureSelect < 2 && (_status & VirtioStatus.FeaturesOk) == 0:
                int shift = (int)(32 * _driverFeatureSelect);
                _driverFeatures = (_driverFeatures & ~(0xffff_ffffUL << shift)) | (value << shift);
                break;
            case (ConfigMsixVector, 2):
                _configVector = ValidVector(value);
                break;
            case (DeviceStatus, 1):
                WriteStatus((VirtioStatus)value);
                break;
            case (QueueSelect, 2):
                _queueSelect = (ushort)value;
                break;
            case (QueueSizeField, 2) when q is { Ring: null }:
                // §4.1.4.3.2: the driver may only shrink; validated when the queue is enabled.
                q.Size = (ushort)Math.Min(value, q.MaxSize);
                break;
            case (QueueMsixVector, 2) when q is not null:
                q.Vector = ValidVector(value);
                break;
            case (QueueEnable, 2) when q is { Ring: null } && value == 1:
                EnableQueue(q);
                break;
            case (QueueDesc or QueueDriver or QueueDevice, 8) when q is { Ring: null }:
            case (QueueDesc or QueueDriver or QueueDevice or QueueDesc + 4 or QueueDriver + 4 or QueueDevice + 4, 4) when q is { Ring: null }:
                q.SetAddressPart(at - QueueDesc, data.Length, value);
                break;
            default:
                break;
        }
    }

    private ushort ValidVector(ulong value) => value < (ulong)_vectors ? (ushort)value : NoVector;

    private void WriteStatus(VirtioStatus value)
    {
        if (value == VirtioStatus.None)
        {
            ResetDevice();
            return;
        }
        // §2.2.2 and §6.1: FEATURES_OK only for a subset of what was offered that includes VERSION_1.
        bool settingFeaturesOk = (value & VirtioStatus.FeaturesOk) != 0 && (_status & VirtioStatus.FeaturesOk) == 0;
        if (settingFeaturesOk && ((_driverFeatures & ~_offeredFeatures) != 0 || (_driverFeatures & VirtioFeatures.Version1) == 0))
        {
            value &= ~VirtioStatus.FeaturesOk;
            settingFeaturesOk = false;
        }
        bool settingDriverOk = (value & VirtioStatus.DriverOk) != 0 && (_status & VirtioStatus.DriverOk) == 0;
        // DEVICE_NEEDS_RESET is the device's to set; only a reset clears it.
        _status = (value & ~VirtioStatus.DeviceNeedsReset) | (_status & VirtioStatus.DeviceNeedsReset);
        if (settingFeaturesOk)
        {
            // Driver features are frozen from here until a reset (WriteCommon ignores them).
            _device.FeaturesNegotiated(_driverFeatures);
        }
        if (settingDriverOk && (_status & VirtioStatus.DeviceNeedsReset) == 0 && _device is IVirtioDriverReady ready && ready.DriverReady())
        {
            // Linux defers a change that comes during probe until the probe is done, so none is lost.
            _configGeneration++;
            Raise(_configVector, IsrConfig);
        }
    }

    private void EnableQueue(QueueState q)
    {
        if (_memory is not GuestMemory memory)
        {
            return;
        }
        try
        {
            q.Ring = NewRing(memory, q.Size, q.Desc, q.Driver, q.Device, _driverFeatures);
        }
        catch (VirtqueueException e)
        {
            NeedsReset($"queue {_queueSelect} cannot be enabled: {e.Message}");
        }
    }

    // A queue the driver enabled (or a snapshot's driver had), with the ring features it negotiated.
    private static SplitVirtqueue NewRing(GuestMemory memory, ushort size, ulong desc, ulong driver, ulong device, ulong features) =>
        new(memory, size, new GuestAddress(desc), new GuestAddress(driver), new GuestAddress(device),
            (features & VirtioFeatures.EventIdx) != 0, (features & VirtioFeatures.IndirectDesc) != 0);

    // §2.1.2: DEVICE_NEEDS_RESET, and a configuration change notification once DRIVER_OK is set.
    private void NeedsReset(string why)
    {
        if ((_status & VirtioStatus.DeviceNeedsReset) != 0)
        {
            return;
        }
        _log?.Invoke($"virtio device '{Id}' needs a reset: {why}; it serves no queue until the guest resets it");
        _status |= VirtioStatus.DeviceNeedsReset;
        if ((_status & VirtioStatus.DriverOk) != 0)
        {
            _configGeneration++;
            Raise(_configVector, IsrConfig);
        }
    }

    // The controller owns masking: a masked vector becomes pending there and is sent on unmask.
    private void Raise(ushort vector, byte isrBit)
    {
        _isr |= isrBit;
        if (vector != NoVector && _config.MsixEnabled)
        {
            _msix?.Signal(vector);
        }
        UpdateIntx();
    }

    // INTA# is high while an ISR bit waits and the guest uses neither MSI-X nor Interrupt Disable.
    private void UpdateIntx()
    {
        bool level = _isr != 0 && !_config.MsixEnabled && !_config.IntxDisabled;
        if (level != _intxLevel)
        {
            _intxLevel = level;
            _intx?.Invoke(level);
        }
    }

    // §2.4 device reset: status, features, vectors and queues back to their initial values;
    // the MSI-X table and pending bits are PCI state and stay (in the controller).
    private void ResetDevice()
    {
        _status = VirtioStatus.None;
        _deviceFeatureSelect = 0;
        _driverFeatureSelect = 0;
        _driverFeatures = 0;
        _configVector = NoVector;
        _queueSelect = 0;
        _isr = 0;
        UpdateIntx();
        foreach (QueueState q in _queues)
        {
            q.Reset();
        }
        _device.Reset();
    }

    private sealed class QueueState(ushort maxSize)
    {
        public ushort MaxSize { get; } = maxSize;
        public ushort Size { get; set; } = maxSize;
        public ushort Vector { get; set; } = NoVector;
        public ulong Desc { get; set; }
        public ulong Driver { get; set; }
        public ulong Device { get; set; }
        public SplitVirtqueue? Ring { get; set; }

        public void SetAddressPart(int offset, int length, ulong value)
        {
            // offset is relative to queue_desc: 0/4 desc, 8/12 driver, 16/20 device.
            ulong Merge(ulong current) => length == 8 ? value
                : offset % 8 == 0 ? (current & 0xffff_ffff_0000_0000UL) | value
                : (current & 0xffff_ffffUL) | (value << 32);
            switch (offset / 8)
            {
                case 0:
                    Desc = Merge(Desc);
                    break;
                case 1:
                    Driver = Merge(Driver);
                    break;
                default:
                    Device = Merge(Device);
                    break;
            }
        }

        public void Reset()
        {
            Size = MaxSize;
            Vector = NoVector;
            Desc = 0;
            Driver = 0;
            Device = 0;
            Ring = null;
        }
    }
}
