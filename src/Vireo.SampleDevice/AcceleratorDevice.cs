using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>
/// Vireo's sample accelerator: a DMA engine a stock guest can drive, served over vfio-user by
/// <c>vireo-device</c>.
/// </summary>
/// <remarks>
/// <para><b>Identity.</b> PCI <see cref="VendorId"/>:<see cref="DeviceId"/> = 1af4:10f1, subsystem
/// the same, class 0x120000 (processing accelerator, programming interface 0), revision
/// <see cref="Revision"/>, interrupt pin INTA. 1af4:10f0–10ff is the range Red Hat, the owner
/// of vendor 1af4, leaves "available for experimental usage without registration" (QEMU
/// docs/specs/pci-ids.rst) — a device that ships outside a test lab must get its own ID. No
/// Linux driver binds it: virtio-pci and vp_vdpa match vendor 1af4 with any device ID, and
/// both refuse IDs above 0x107f in probe (drivers/virtio/virtio_pci_modern_dev.c "We only own
/// devices &gt;= 0x1000 and &lt;= 0x107f"); the class-matching accelerator drivers all match a
/// vendor too, and SDXI is prog-if 01. A guest binds it by ID with its own driver or with
/// <c>uio_pci_generic</c> through new_id. (Before, it claimed 1b36:0100, which is QXL's.)</para>
/// <para><b>BAR0</b>, 4 KiB, trapped: the registers below, little-endian. 32-bit registers take
/// 4-byte accesses; 64-bit ones take 8-byte accesses or 4-byte accesses to either half. Other
/// sizes and unknown offsets read 0 and ignore writes.</para>
/// <list type="table">
/// <listheader><term>offset name (access)</term><description>meaning</description></listheader>
/// <item><term>0x00 ID (RO)</term><description><see cref="Id"/>, "VIRE" in ASCII.</description></item>
/// <item><term>0x04 STATUS (RW1C)</term><description>bit 0 DONE: a DMA completed; bit 1 ERROR: a
/// DMA failed (bad direction, range outside the buffer, an address the client did not map, a
/// client that refused or left). Write 1 to clear. Bit 2 BUSY (RO): a DMA is queued or
/// running.</description></item>
/// <item><term>0x08 DOORBELL (WO)</term><description>Any write starts the DMA programmed in
/// DMA_SOURCE, DMA_DESTINATION, DMA_LENGTH and DMA_COMMAND's direction, as they are at the
/// write. Offered to the client as an ioeventfd (any value).</description></item>
/// <item><term>0x0C VERSION (RO)</term><description><see cref="Version"/>: major in bits
/// 31:16, minor in 15:0 (1.0).</description></item>
/// <item><term>0x10 DMA_SOURCE (RW, 64)</term><description>Guest address the DMA reads, or the
/// offset in the buffer for buffer → memory.</description></item>
/// <item><term>0x18 DMA_DESTINATION (RW, 64)</term><description>Guest address the DMA writes,
/// or the offset in the buffer for memory → buffer.</description></item>
/// <item><term>0x20 DMA_LENGTH (RW)</term><description>Bytes to move. Memory → memory cuts it
/// to <see cref="MaxCopy"/>; a transfer to or from the buffer must lie inside it (else
/// ERROR).</description></item>
/// <item><term>0x24 POWER_BUDGET (RW)</term><description>The platform's power budget (100
/// after power-on); a change raises ACPI notify <see cref="PowerBudgetNotify"/> and wakes the
/// device from low power.</description></item>
/// <item><term>0x28 COMPLETED (RO)</term><description>DMAs completed without error since
/// reset.</description></item>
/// <item><term>0x2C SCRATCH (RW)</term><description>Reads back what was last written (0 after
/// reset): a driver's first sign of life.</description></item>
/// <item><term>0x30 DMA_COMMAND (RW)</term><description>Bits 1:0 direction:
/// <see cref="DirectionMemoryToMemory"/> (0), <see cref="DirectionMemoryToBuffer"/> (1),
/// <see cref="DirectionBufferToMemory"/> (2); 3 fails with ERROR. Writing bit 4
/// (<see cref="CommandStart"/>) also starts the DMA, as the doorbell does; it reads
/// 0.</description></item>
/// <item><term>0x34 INTERRUPT_STATUS (RO)</term><description>Bit 0: a DMA finished (DONE or
/// ERROR) and the driver has not acknowledged it. INTx is asserted while it is set, unless
/// the guest disabled INTx or enabled MSI-X.</description></item>
/// <item><term>0x38 INTERRUPT_ACK (WO)</term><description>Writing 1 to bit 0 clears
/// INTERRUPT_STATUS bit 0 and so deasserts INTx.</description></item>
/// <item><term>0x3C BUFFER_SIZE (RO)</term><description><see cref="BufferSize"/>.</description></item>
/// </list>
/// <para><b>BAR2</b>, 128 KiB, shared memory: the device buffer at 0 (<see cref="BufferSize"/>
/// bytes, mmap-able by the client, so a guest reaches it without exits), the MSI-X table (2
/// vectors) at 0x10000 and the PBA at 0x18000, trapped.</para>
/// <para><b>Completion.</b> Every DMA that finishes sets STATUS (DONE or ERROR) and
/// INTERRUPT_STATUS, then signals MSI-X vector 0 when the guest enabled MSI-X, else asserts
/// INTx (level: the server automasks it and, while the driver has not acknowledged, every EOI
/// delivers it once more). A driver acknowledges each completion in either mode. The DMA runs
/// on the device's own thread, as hardware does, so the doorbell write returns at once.</para>
/// <para><b>Low power.</b> While the client holds the device in low power (the Vireo PM
/// extension, what a guest's D3cold becomes) the engine stops: a DMA queued or under way moves
/// no more bytes, and no completion is posted or interrupted, until the device is awake again
/// (a client's access, LOW_POWER_EXIT, or the device's own wake). The PM capability offers
/// PME from D3hot and D3cold, so a guest arms wake for it.</para>
/// <para>Also: migration of the registers, and an ACPI notify when the power budget
/// changes.</para>
/// </remarks>
public sealed class AcceleratorDevice : VfioUserPciDevice
{
    /// <summary>PCI vendor ID: Red Hat's 1af4, in its experimental device range (see the remarks).</summary>
    public const ushort VendorId = 0x1af4;
    /// <summary>PCI device ID: 10f1, in 1af4's experimental range 10f0–10ff, which no Linux driver binds.</summary>
    public const ushort DeviceId = 0x10f1;
    /// <summary>PCI class code: processing accelerator (base 0x12, sub-class 0, prog-if 0).</summary>
    public const uint ClassCode = 0x120000;
    /// <summary>PCI revision ID.</summary>
    public const byte Revision = 1;

    /// <summary>BAR0 offset of ID (RO): reads <see cref="Id"/>.</summary>
    public const ulong RegId = 0x00;
    /// <summary>BAR0 offset of STATUS (RW1C): <see cref="StatusDone"/>, <see cref="StatusError"/>, <see cref="StatusBusy"/> (RO).</summary>
    public const ulong RegStatus = 0x04;
    /// <summary>BAR0 offset of DOORBELL (WO): any write starts the programmed DMA; also offered as an ioeventfd.</summary>
    public const ulong RegDoorbell = 0x08;
    /// <summary>BAR0 offset of VERSION (RO): reads <see cref="Version"/>.</summary>
    public const ulong RegVersion = 0x0c;
    /// <summary>BAR0 offset of DMA_SOURCE (RW, 64-bit): guest address, or buffer offset for buffer → memory.</summary>
    public const ulong RegSource = 0x10;
    /// <summary>BAR0 offset of DMA_DESTINATION (RW, 64-bit): guest address, or buffer offset for memory → buffer.</summary>
    public const ulong RegDestination = 0x18;
    /// <summary>BAR0 offset of DMA_LENGTH (RW): bytes to move.</summary>
    public const ulong RegLength = 0x20;
    /// <summary>BAR0 offset of POWER_BUDGET (RW); a change raises ACPI notify <see cref="PowerBudgetNotify"/>.</summary>
    public const ulong RegPowerBudget = 0x24;
    /// <summary>BAR0 offset of COMPLETED (RO): DMAs completed without error since reset.</summary>
    public const ulong RegCompleted = 0x28;
    /// <summary>BAR0 offset of SCRATCH (RW): reads back what was written.</summary>
    public const ulong RegScratch = 0x2c;
    /// <summary>BAR0 offset of DMA_COMMAND (RW): direction in bits 1:0; writing <see cref="CommandStart"/> starts the DMA.</summary>
    public const ulong RegCommand = 0x30;
    /// <summary>BAR0 offset of INTERRUPT_STATUS (RO): <see cref="InterruptDone"/> while a completion is not acknowledged.</summary>
    public const ulong RegInterruptStatus = 0x34;
    /// <summary>BAR0 offset of INTERRUPT_ACK (WO): writing <see cref="InterruptDone"/> clears it and deasserts INTx.</summary>
    public const ulong RegInterruptAck = 0x38;
    /// <summary>BAR0 offset of BUFFER_SIZE (RO): reads <see cref="BufferSize"/>.</summary>
    public const ulong RegBufferSize = 0x3c;

    /// <summary>What <see cref="RegId"/> reads: "VIRE" in little-endian ASCII.</summary>
    public const uint Id = 0x45524956;
    /// <summary>What <see cref="RegVersion"/> reads: 1.0.</summary>
    public const uint Version = 0x0001_0000;
    /// <summary>STATUS bit: a DMA completed.</summary>
    public const uint StatusDone = 1;
    /// <summary>STATUS bit: a DMA failed.</summary>
    public const uint StatusError = 2;
    /// <summary>STATUS bit (read-only): a DMA is queued or running.</summary>
    public const uint StatusBusy = 4;
    /// <summary>DMA_COMMAND direction: guest memory at DMA_SOURCE to guest memory at DMA_DESTINATION.</summary>
    public const uint DirectionMemoryToMemory = 0;
    /// <summary>DMA_COMMAND direction: guest memory at DMA_SOURCE into the buffer at offset DMA_DESTINATION.</summary>
    public const uint DirectionMemoryToBuffer = 1;
    /// <summary>DMA_COMMAND direction: the buffer at offset DMA_SOURCE to guest memory at DMA_DESTINATION.</summary>
    public const uint DirectionBufferToMemory = 2;
    /// <summary>DMA_COMMAND bit: writing it starts the DMA.</summary>
    public const uint CommandStart = 0x10;
    /// <summary>INTERRUPT_STATUS / INTERRUPT_ACK bit: a DMA finished.</summary>
    public const uint InterruptDone = 1;
    /// <summary>The longest memory → memory copy one start moves; longer lengths are cut to it.</summary>
    public const uint MaxCopy = 16 * 1024 * 1024;
    /// <summary>The device buffer's size: BAR2 bytes [0, BufferSize).</summary>
    public const uint BufferSize = 0x10000;
    /// <summary>The BAR holding the buffer (and the MSI-X table and PBA after it).</summary>
    public const int BufferBar = 2;

    // ACPI 6.5 §5.6.6 Table 5.166: 0x80+ are device-specific; 0x81 is the "Information Change"
    // code that GPU drivers use for power-budget (D-notifier) events.
    /// <summary>The ACPI notify code raised when the power budget changes.</summary>
    public const byte PowerBudgetNotify = 0x81;

    private const uint DirectionMask = 3;
    // The DMA engine moves at most this much per DMA_READ/DMA_WRITE pair.
    private const int CopyChunk = 1024 * 1024;
    private const int StateLength = 48;

    // A monitor rather than a Lock: the engine thread waits on it for doorbells.
    private readonly object _lock = new();
    private ulong _source;
    private ulong _destination;
    private uint _length;
    private uint _command;
    private uint _status;
    private uint _powerBudget = 100;
    private uint _completed;
    private uint _scratch;
    // Read by the server under its lock (IntxAsserted), written under _lock: volatile, no lock.
    private volatile uint _interruptStatus;
    private byte[]? _staging;
    private long _acpiNotifications;

    // DMAs started and not yet finished, each with the registers as they were when it started.
    private readonly Queue<Job> _jobs = new();
    private Thread? _engine;
    private bool _stopping;
    // The client put the device in low power: the engine touches no guest memory, sets no
    // status and raises no interrupt until it is back (a powered-off device does no work).
    private bool _lowPower;
    // Finished DMAs whose interrupt is still being raised (WaitIdle waits for them too).
    private int _finishing;

    /// <summary>Creates the device: see the remarks for its identity, BARs and registers.</summary>
    public AcceleratorDevice()
        : base(new PciConfigSpace(VendorId, DeviceId, ClassCode, Revision, subsystemVendorId: VendorId, subsystemId: DeviceId))
    {
        Config.SetInterruptPin(1);
        // PME from D3hot and D3cold: a Linux guest then allows runtime wake (pci_dev_run_wake) and
        // arms the ACPI wake GPE, so the device can wake itself from D3cold (RequestWake).
        Config.AddPowerManagement(PciPmeSupport.D3Hot | PciPmeSupport.D3Cold);
        DefineBar(0, PciBar.Trapped(0x1000));
        DefineBar(BufferBar, PciBar.SharedMemory(0x20000, [new PciMmapArea(0, BufferSize)]));
        DefineMsix(2, BufferBar, 0x10000, BufferBar, 0x18000);
        // The doorbell's value does not matter, so a VMM can bind it to a KVM ioeventfd and a
        // guest's doorbell write costs no round trip to the VMM.
        DefineIoEventFd(0, RegDoorbell, 4);
        Config.Seal();
    }

    /// <summary>True: the registers migrate (<see cref="SaveState"/>, <see cref="LoadState"/>).</summary>
    public override bool SupportsMigration => true;

    /// <summary>DMAs completed without error since reset, as <see cref="RegCompleted"/> reads.</summary>
    public uint Completed
    {
        get
        {
            lock (_lock)
            {
                return _completed;
            }
        }
    }

    /// <summary>The POWER_BUDGET register.</summary>
    public uint PowerBudget
    {
        get
        {
            lock (_lock)
            {
                return _powerBudget;
            }
        }
    }

    /// <summary>Whether a DMA is queued or running (STATUS BUSY), paused by low power or not.</summary>
    public bool Busy
    {
        get
        {
            lock (_lock)
            {
                return _jobs.Count > 0;
            }
        }
    }

    /// <summary>ACPI notify codes the device has queued for the client since it was created.</summary>
    public long AcpiNotifications => Interlocked.Read(ref _acpiNotifications);

    /// <summary>Queues <paramref name="codes"/> for the client, in order, as ACPI notifications
    /// (IRQ index 5; the server keeps them, up to its queue's capacity, until the client reads them).</summary>
    public void NotifyAcpi(ReadOnlySpan<byte> codes)
    {
        foreach (byte code in codes)
        {
            Host.NotifyAcpi(code);
            Interlocked.Increment(ref _acpiNotifications);
        }
    }

    /// <summary>The device asks to leave low power (it has work): the client's wake eventfd is
    /// signalled once if it armed one; otherwise nothing changes. Returns whether the device was
    /// in low power when asked.</summary>
    public bool RequestWake()
    {
        bool low = Host.IsLowPower;
        Host.RequestWake();
        return low;
    }

    /// <summary>The INTx line: asserted while a completion is not acknowledged.</summary>
    protected override bool IntxAsserted => (_interruptStatus & InterruptDone) != 0;

    /// <summary>Firmware changed the power budget: tell the client (ACPI notify) and, being work
    /// for the driver, wake the device if it is in low power.</summary>
    public void SetPowerBudget(uint budget)
    {
        lock (_lock)
        {
            if (budget == _powerBudget)
            {
                return;
            }
            _powerBudget = budget;
        }
        Host.RequestWake();
        NotifyAcpi([PowerBudgetNotify]);
    }

    /// <summary>Reads a BAR0 register (see the register map in the remarks).</summary>
    /// <param name="bar">The BAR index; only BAR0 has registers.</param>
    /// <param name="offset">The register offset in the BAR.</param>
    /// <param name="data">Receives the value, little-endian.</param>
    protected override void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        data.Clear();
        if (bar != 0 || data.Length is not (4 or 8))
        {
            return;
        }
        lock (_lock)
        {
            ulong value = (offset, data.Length) switch
            {
                (RegSource, _) => _source,
                (RegSource + 4, 4) => _source >> 32,
                (RegDestination, _) => _destination,
                (RegDestination + 4, 4) => _destination >> 32,
                (_, 4) => offset switch
                {
                    RegId => Id,
                    RegStatus => _status | (_jobs.Count > 0 ? StatusBusy : 0),
                    RegVersion => Version,
                    RegLength => _length,
                    RegPowerBudget => _powerBudget,
                    RegCompleted => _completed,
                    RegScratch => _scratch,
                    RegCommand => _command,
                    RegInterruptStatus => _interruptStatus,
                    RegBufferSize => BufferSize,
                    _ => 0,
                },
                _ => 0,
            };
            if (data.Length == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(data, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)value);
            }
        }
    }

    /// <summary>Writes a BAR0 register (see the register map in the remarks). A start (doorbell
    /// or DMA_COMMAND's start bit) queues the DMA and returns before it is done.</summary>
    /// <param name="bar">The BAR index; only BAR0 has registers.</param>
    /// <param name="offset">The register offset in the BAR.</param>
    /// <param name="data">The value, little-endian.</param>
    protected override void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (bar != 0 || data.Length is not (4 or 8))
        {
            return;
        }
        ulong value = data.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(data) : BinaryPrimitives.ReadUInt32LittleEndian(data);
        bool acknowledged = false;
        lock (_lock)
        {
            switch ((offset, data.Length))
            {
                case (RegSource, 8):
                    _source = value;
                    break;
                case (RegSource, 4):
                    _source = (_source & ~0xffff_ffffUL) | value;
                    break;
                case (RegSource + 4, 4):
                    _source = (_source & 0xffff_ffffUL) | (value << 32);
                    break;
                case (RegDestination, 8):
                    _destination = value;
                    break;
                case (RegDestination, 4):
                    _destination = (_destination & ~0xffff_ffffUL) | value;
                    break;
                case (RegDestination + 4, 4):
                    _destination = (_destination & 0xffff_ffffUL) | (value << 32);
                    break;
                case (RegLength, 4):
                    _length = (uint)value;
                    break;
                case (RegStatus, 4):
                    _status &= ~((uint)value & (StatusDone | StatusError));
                    break;
                case (RegScratch, 4):
                    _scratch = (uint)value;
                    break;
                case (RegCommand, 4):
                    _command = (uint)value & DirectionMask;
                    if ((value & CommandStart) != 0)
                    {
                        StartLocked();
                    }
                    break;
                case (RegDoorbell, 4):
                    StartLocked();
                    break;
                case (RegInterruptAck, 4):
                    _interruptStatus &= ~((uint)value & InterruptDone);
                    acknowledged = true;
                    break;
            }
        }
        if (acknowledged)
        {
            // The server reads the new level under its own lock: it deasserts INTx.
            Host.IntxChanged();
        }
        if (offset == RegPowerBudget && data.Length == 4)
        {
            SetPowerBudget((uint)value);
        }
    }

    /// <summary>Clears every register but the power budget; DMAs already started still finish.</summary>
    protected override void Reset()
    {
        lock (_lock)
        {
            _source = _destination = 0;
            _length = _status = _completed = _scratch = _command = 0;
            _interruptStatus = 0;
        }
    }

    /// <summary>The registers as 48 little-endian bytes: DMA_SOURCE, DMA_DESTINATION (8 each),
    /// then DMA_LENGTH, STATUS, POWER_BUDGET, COMPLETED, four reserved zero bytes, SCRATCH,
    /// DMA_COMMAND and INTERRUPT_STATUS (4 each).</summary>
    protected override byte[] SaveState()
    {
        byte[] state = new byte[StateLength];
        lock (_lock)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(state, _source);
            BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(8), _destination);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(16), _length);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(20), _status);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(24), _powerBudget);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(28), _completed);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(36), _scratch);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(40), _command);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(44), _interruptStatus);
        }
        return state;
    }

    /// <summary>Puts back registers saved by <see cref="SaveState"/>; a 32- or 36-byte state
    /// from the first version of this device leaves SCRATCH, DMA_COMMAND and INTERRUPT_STATUS at 0.</summary>
    /// <param name="state">At least 32 bytes, in <see cref="SaveState"/>'s layout.</param>
    /// <exception cref="ArgumentException"><paramref name="state"/> is shorter than 32 bytes.</exception>
    protected override void LoadState(ReadOnlySpan<byte> state)
    {
        if (state.Length < 32)
        {
            throw new ArgumentException("accelerator state is 32 bytes or more", nameof(state));
        }
        lock (_lock)
        {
            _source = BinaryPrimitives.ReadUInt64LittleEndian(state);
            _destination = BinaryPrimitives.ReadUInt64LittleEndian(state[8..]);
            _length = BinaryPrimitives.ReadUInt32LittleEndian(state[16..]);
            _status = BinaryPrimitives.ReadUInt32LittleEndian(state[20..]) & (StatusDone | StatusError);
            _powerBudget = BinaryPrimitives.ReadUInt32LittleEndian(state[24..]);
            _completed = BinaryPrimitives.ReadUInt32LittleEndian(state[28..]);
            bool extended = state.Length >= StateLength;
            _scratch = extended ? BinaryPrimitives.ReadUInt32LittleEndian(state[36..]) : 0;
            _command = extended ? BinaryPrimitives.ReadUInt32LittleEndian(state[40..]) & DirectionMask : 0;
            _interruptStatus = extended ? BinaryPrimitives.ReadUInt32LittleEndian(state[44..]) & InterruptDone : 0;
        }
        // A restored unacknowledged completion asserts INTx again.
        Host.IntxChanged();
    }

    /// <summary>Queues a DMA for the engine thread and returns: the client's region write is
    /// answered before the device reaches guest memory, because a client (QEMU) that blocks a
    /// vCPU on that write serves the device's DMA_READ/DMA_WRITE messages only after it.</summary>
    private void StartLocked()
    {
        if (_stopping)
        {
            return;
        }
        uint direction = _command & DirectionMask;
        uint length = direction == DirectionMemoryToMemory ? Math.Min(_length, MaxCopy) : _length;
        _jobs.Enqueue(new Job(_source, _destination, length, direction));
        if (_engine is null)
        {
            _engine = new Thread(Engine) { Name = "accelerator DMA", IsBackground = true };
            _engine.Start();
        }
        Monitor.PulseAll(_lock);
    }

    private void Engine()
    {
        while (true)
        {
            Job job;
            lock (_lock)
            {
                while ((_jobs.Count == 0 || _lowPower) && !_stopping)
                {
                    Monitor.Wait(_lock);
                }
                if (_stopping)
                {
                    return;
                }
                job = _jobs.Peek();
            }
            bool ok = Run(job);
            lock (_lock)
            {
                // A completion is the device's work too: it waits for the device to be awake.
                if (!WaitAwakeLocked())
                {
                    return;
                }
                _status |= ok ? StatusDone : StatusError;
                _completed += ok ? 1u : 0;
                _interruptStatus |= InterruptDone;
                _jobs.Dequeue();
                _finishing++;
            }
            RaiseCompletion();
            lock (_lock)
            {
                _finishing--;
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>MSI-X vector 0 when the guest enabled MSI-X; INTx follows INTERRUPT_STATUS in
    /// any case (the PCI layer holds it back while MSI-X is on).</summary>
    private void RaiseCompletion()
    {
        try
        {
            if (MsixEnabled)
            {
                Host.Interrupt(0);
            }
            Host.IntxChanged();
        }
        catch (Exception e) when (e is VfioUserException or InvalidOperationException or ObjectDisposedException or Vireo.Sys.ErrnoException)
        {
            // No client to tell: the status registers hold the outcome.
        }
    }

    /// <summary>Waits until every DMA started so far has finished and raised its interrupt (tests, benchmarks).</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_jobs.Count > 0 || _finishing > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left)))
                {
                    return _jobs.Count == 0 && _finishing == 0;
                }
            }
            return true;
        }
    }

    /// <summary>Moves one DMA; false when it failed (the device lives on either way).</summary>
    private bool Run(Job job)
    {
        // One staging buffer for the device's life: a fresh 1 MiB array per doorbell cost more
        // than the copy itself (large-object allocation, zeroing, page faults, gen-2 GCs).
        byte[] buffer = _staging ??= new byte[CopyChunk];
        try
        {
            // Low power may have begun since the engine took the job.
            if (!WaitAwake())
            {
                return false;
            }
            switch (job.Direction)
            {
                case DirectionMemoryToMemory:
                    for (uint done = 0; done < job.Length;)
                    {
                        int chunk = (int)Math.Min((uint)buffer.Length, job.Length - done);
                        if (!WaitAwake())
                        {
                            return false;
                        }
                        Host.DmaRead(job.Source + done, buffer.AsSpan(0, chunk));
                        if (!WaitAwake())
                        {
                            return false;
                        }
                        Host.DmaWrite(job.Destination + done, buffer.AsSpan(0, chunk));
                        done += (uint)chunk;
                    }
                    return true;
                case DirectionMemoryToBuffer when InBuffer(job.Destination, job.Length):
                    Host.DmaRead(job.Source, buffer.AsSpan(0, (int)job.Length));
                    if (!WaitAwake())
                    {
                        return false;
                    }
                    WriteBarMemory(BufferBar, job.Destination, buffer.AsSpan(0, (int)job.Length));
                    return true;
                case DirectionBufferToMemory when InBuffer(job.Source, job.Length):
                    ReadBarMemory(BufferBar, job.Source, buffer.AsSpan(0, (int)job.Length));
                    if (!WaitAwake())
                    {
                        return false;
                    }
                    Host.DmaWrite(job.Destination, buffer.AsSpan(0, (int)job.Length));
                    return true;
                default:
                    // A reserved direction, or a range that leaves the buffer.
                    return false;
            }
        }
        catch (Exception e) when (e is VfioUserException or VfioUserDisconnectedException or InvalidOperationException or ObjectDisposedException or ArgumentException)
        {
            // A DMA the client refused, or a client that left: the DMA fails, the device lives.
            return false;
        }
    }

    /// <summary>The client moved the device into or out of low power: the engine pauses or goes on.</summary>
    /// <param name="lowPower">True when the device is now in low power.</param>
    protected override void LowPowerChanged(bool lowPower)
    {
        lock (_lock)
        {
            _lowPower = lowPower;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Blocks the engine while the device is in low power; false when it is stopping.</summary>
    private bool WaitAwake()
    {
        lock (_lock)
        {
            return WaitAwakeLocked();
        }
    }

    private bool WaitAwakeLocked()
    {
        while (_lowPower && !_stopping)
        {
            Monitor.Wait(_lock);
        }
        return !_stopping;
    }

    private static bool InBuffer(ulong offset, uint length) => offset <= BufferSize && length <= BufferSize - offset;

    /// <summary>Stops the DMA engine thread (waiting up to five seconds for a DMA in progress), then disposes the base device.</summary>
    /// <param name="disposing">True when called from Dispose.</param>
    protected override void Dispose(bool disposing)
    {
        Thread? engine;
        lock (_lock)
        {
            _stopping = true;
            engine = _engine;
            Monitor.PulseAll(_lock);
        }
        engine?.Join(TimeSpan.FromSeconds(5));
        base.Dispose(disposing);
    }

    /// <summary>One started DMA: the registers as they were at the start.</summary>
    private readonly record struct Job(ulong Source, ulong Destination, uint Length, uint Direction);
}
