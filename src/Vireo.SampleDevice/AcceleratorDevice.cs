using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>
/// A small accelerator: BAR0 registers (doorbell, also offered as an ioeventfd; status; a DMA
/// engine that copies between guest buffers on its own thread, as hardware does, so the doorbell
/// write completes at once; completion on MSI-X 0, or on automasked INTx), BAR2 shared memory whose second half holds the MSI-X table and PBA, a PM
/// capability, migration of its registers. It raises ACPI notify 0x81 when its power budget
/// changes and wakes itself when work arrives in low power.
/// </summary>
public sealed class AcceleratorDevice : VfioUserPciDevice
{
    // Register map of BAR0 (this device's own layout).
    /// <summary>BAR0 offset of the read-only ID register, which reads <see cref="Id"/>.</summary>
    public const ulong RegId = 0x00;
    /// <summary>BAR0 offset of the status register: <see cref="StatusDone"/> and <see cref="StatusError"/>, write 1 to clear.</summary>
    public const ulong RegStatus = 0x04;
    /// <summary>BAR0 offset of the doorbell: any write queues a copy of the current source, destination and length; also offered as an ioeventfd.</summary>
    public const ulong RegDoorbell = 0x08;
    /// <summary>BAR0 offset of the 64-bit guest address the next copy reads from.</summary>
    public const ulong RegSource = 0x10;
    /// <summary>BAR0 offset of the 64-bit guest address the next copy writes to.</summary>
    public const ulong RegDestination = 0x18;
    /// <summary>BAR0 offset of the next copy's length in bytes, cut to <see cref="MaxCopy"/>.</summary>
    public const ulong RegLength = 0x20;
    /// <summary>BAR0 offset of the power budget; a change raises ACPI notify <see cref="PowerBudgetNotify"/>.</summary>
    public const ulong RegPowerBudget = 0x24;
    /// <summary>BAR0 offset of the count of copies completed since reset.</summary>
    public const ulong RegCompleted = 0x28;
    /// <summary>What <see cref="RegId"/> reads: "VIRE" in little-endian ASCII.</summary>
    public const uint Id = 0x45524956; // "VIRE"
    /// <summary>Status bit: a copy completed.</summary>
    public const uint StatusDone = 1;
    /// <summary>Status bit: a copy failed (the client refused a DMA or went away).</summary>
    public const uint StatusError = 2;
    /// <summary>The longest copy one doorbell starts; longer lengths are cut to it.</summary>
    public const uint MaxCopy = 16 * 1024 * 1024;

    // The DMA engine moves at most this much per DMA_READ/DMA_WRITE pair.
    private const int CopyChunk = 1024 * 1024;

    // ACPI 6.5 §5.6.6 Table 5.166: 0x80+ are device-specific; 0x81 is the "Information Change"
    // code that GPU drivers use for power-budget (D-notifier) events.
    /// <summary>The ACPI notify code raised when the power budget changes.</summary>
    public const byte PowerBudgetNotify = 0x81;

    // A monitor rather than a Lock: the engine thread waits on it for doorbells.
    private readonly object _lock = new();
    private ulong _source;
    private ulong _destination;
    private uint _length;
    private uint _status;
    private uint _powerBudget = 100;
    private uint _completed;
    private byte[]? _staging;

    // Doorbells rung and not yet copied, each with the registers as they were when it rang.
    private readonly Queue<(ulong Source, ulong Destination, uint Length)> _jobs = new();
    private Thread? _engine;
    private bool _stopping;

    /// <summary>
    /// Creates the device: vendor 0x1B36, device 0x0100, class 0x120000 (processing accelerator), INTA,
    /// a PM capability, BAR0 trapped registers, BAR2 shared memory with two MSI-X vectors in its second
    /// half, and the doorbell as an ioeventfd.
    /// </summary>
    public AcceleratorDevice()
        : base(new PciConfigSpace(0x1b36, 0x0100, 0x120000, revision: 1, subsystemVendorId: 0x1b36, subsystemId: 0x0100))
    {
        Config.SetInterruptPin(1);
        Config.AddPowerManagement();
        DefineBar(0, PciBar.Trapped(0x1000));
        DefineBar(2, PciBar.SharedMemory(0x4000, [new PciMmapArea(0, 0x2000)]));
        DefineMsix(2, 2, 0x2000, 2, 0x3000);
        // The doorbell's value does not matter, so a VMM can bind it to a KVM ioeventfd and a
        // guest's doorbell write costs no round trip to the VMM.
        DefineIoEventFd(0, RegDoorbell, 4);
        Config.Seal();
    }

    /// <summary>True: the registers migrate (<see cref="SaveState"/>, <see cref="LoadState"/>).</summary>
    public override bool SupportsMigration => true;

    /// <summary>Copies completed since reset, as <see cref="RegCompleted"/> reads.</summary>
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
        Host.NotifyAcpi(PowerBudgetNotify);
    }

    /// <summary>Reads a BAR0 register; 4- and 8-byte accesses only, anything else (and unknown offsets) reads zero.</summary>
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
            ulong value = offset switch
            {
                RegId => Id,
                RegStatus => _status,
                RegSource => _source,
                RegDestination => _destination,
                RegLength => _length,
                RegPowerBudget => _powerBudget,
                RegCompleted => _completed,
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

    /// <summary>Writes a BAR0 register; 4- and 8-byte accesses only, anything else is dropped. A doorbell write queues a copy and returns before it is done.</summary>
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
        switch (offset)
        {
            case RegSource:
                _source = value;
                break;
            case RegDestination:
                _destination = value;
                break;
            case RegLength:
                _length = (uint)value;
                break;
            case RegStatus:
                _status &= ~(uint)value; // write 1 to clear
                break;
            case RegPowerBudget:
                SetPowerBudget((uint)value);
                break;
            case RegDoorbell:
                Ring();
                break;
        }
    }

    /// <summary>Clears the address, length, status and completion registers; the power budget is kept.</summary>
    protected override void Reset()
    {
        lock (_lock)
        {
            _source = _destination = 0;
            _length = _status = _completed = 0;
        }
    }

    /// <summary>The registers as 36 little-endian bytes: source, destination, length, status, power budget, completed, then four reserved zero bytes.</summary>
    protected override byte[] SaveState()
    {
        byte[] state = new byte[36];
        lock (_lock)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(state, _source);
            BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(8), _destination);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(16), _length);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(20), _status);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(24), _powerBudget);
            BinaryPrimitives.WriteUInt32LittleEndian(state.AsSpan(28), _completed);
        }
        return state;
    }

    /// <summary>Puts back registers saved by <see cref="SaveState"/>.</summary>
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
            _status = BinaryPrimitives.ReadUInt32LittleEndian(state[20..]);
            _powerBudget = BinaryPrimitives.ReadUInt32LittleEndian(state[24..]);
            _completed = BinaryPrimitives.ReadUInt32LittleEndian(state[28..]);
        }
    }

    /// <summary>Queues a copy for the engine thread and returns: the client's region write is
    /// answered before the device reaches guest memory, because a client (QEMU) that blocks a
    /// vCPU on that write serves the device's DMA_READ/DMA_WRITE messages only after it.</summary>
    private void Ring()
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
            _jobs.Enqueue((_source, _destination, Math.Min(_length, MaxCopy)));
            if (_engine is null)
            {
                _engine = new Thread(Engine) { Name = "accelerator DMA", IsBackground = true };
                _engine.Start();
            }
            Monitor.PulseAll(_lock);
        }
    }

    private void Engine()
    {
        while (true)
        {
            (ulong Source, ulong Destination, uint Length) job;
            lock (_lock)
            {
                while (_jobs.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }
                if (_stopping)
                {
                    return;
                }
                job = _jobs.Peek();
            }
            RunCopy(job.Source, job.Destination, job.Length);
            lock (_lock)
            {
                _jobs.Dequeue();
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Waits until every doorbell rung so far has been copied (tests, benchmarks).</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_jobs.Count > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left)))
                {
                    return _jobs.Count == 0;
                }
            }
            return true;
        }
    }

    private void RunCopy(ulong source, ulong destination, uint length)
    {
        // One staging buffer for the device's life: a fresh 1 MiB array per doorbell cost more
        // than the copy itself (large-object allocation, zeroing, page faults, gen-2 GCs).
        byte[] buffer = _staging ??= new byte[CopyChunk];
        try
        {
            for (uint done = 0; done < length;)
            {
                int chunk = (int)Math.Min((uint)buffer.Length, length - done);
                Host.DmaRead(source + done, buffer.AsSpan(0, chunk));
                Host.DmaWrite(destination + done, buffer.AsSpan(0, chunk));
                done += (uint)chunk;
            }
            lock (_lock)
            {
                _status |= StatusDone;
                _completed++;
            }
        }
        catch (Exception e) when (e is VfioUserException or VfioUserDisconnectedException or InvalidOperationException or ObjectDisposedException)
        {
            // A DMA the client refused, or a client that left: the copy fails, the device lives.
            lock (_lock)
            {
                _status |= StatusError;
            }
        }
        try
        {
            Host.Interrupt(0);
        }
        catch (Exception e) when (e is VfioUserException or InvalidOperationException or ObjectDisposedException or Vireo.Sys.ErrnoException)
        {
            // No client to tell: the status register holds the outcome.
        }
    }

    /// <summary>Stops the copy engine thread (waiting up to five seconds for a copy in progress), then disposes the base device.</summary>
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
}
