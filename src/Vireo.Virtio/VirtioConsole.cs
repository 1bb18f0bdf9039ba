using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Virtio;

/// <summary>
/// The console device (virtio 1.2 §5.3) with one port and no control queues (VIRTIO_CONSOLE_F_MULTIPORT
/// is not offered): queue 0 (receiveq) carries host input to the guest, queue 1 (transmitq) the
/// guest's output to the host. The guest's output goes to an output sink; the host's input waits in
/// a bounded buffer of <see cref="InputCapacity"/> bytes until the guest has posted receive buffers
/// for it. The device also offers VIRTIO_CONSOLE_F_SIZE (cols and rows in its configuration space,
/// changed by <see cref="Resize"/>) and VIRTIO_CONSOLE_F_EMERG_WRITE (a character written to emerg_wr
/// goes to the output sink, even before the driver has set up the queues, §5.3.4).
/// </summary>
/// <remarks>
/// <para>Threads: the transport serialises <see cref="IVirtioDevice"/> calls under its lock; the host
/// side (<see cref="Offer"/>, <see cref="Resize"/>, the counters and properties) may be called from any
/// thread at any time, and takes the device's own lock, never the transport's.</para>
/// <para>Integration: input reaches the guest only when the receive queue is processed, which the
/// transport does under its lock when the queue is notified. After <see cref="Offer"/> accepted bytes
/// the machine must call the transport's <c>NotifyQueue(</c><see cref="ReceiveQueue"/><c>)</c>
/// (<see cref="VirtioPciFunction.NotifyQueue"/>) to push them into the buffers the driver has made
/// available; bytes that find no buffer wait, and go in when the driver posts buffers and notifies the
/// receive queue itself (Linux does after it consumed input). <see cref="Resize"/> returns true when
/// the driver should get a configuration change notification (§2.5.2): the machine then calls
/// <see cref="VirtioPciFunction.NotifyConfigChanged"/>.</para>
/// <para>Hostile input: buffers are already checked to lie inside guest RAM by
/// <see cref="SplitVirtqueue"/>; data passes through one bounce buffer of <see cref="ChunkSize"/> bytes
/// whatever the guest's lengths, and one transmit chain sends at most <see cref="MaxBytesPerChain"/>
/// bytes (the rest is counted as tx_dropped), so a chain of 256 descriptors naming the same gigabyte
/// cannot hold the queue for minutes. A device-readable buffer in receiveq or a device-writable buffer
/// in transmitq breaks §5.3.6.1 and is a <see cref="VirtqueueException"/>.</para>
/// </remarks>
public sealed class VirtioConsole : IVirtioDevice, IDeviceCounters, IVirtioDriverReady
{
    /// <summary>Device ID of the console device (§5).</summary>
    public const ushort ConsoleDeviceType = 3;

    /// <summary>Each queue's size.</summary>
    public const ushort QueueSize = 256;

    /// <summary>receiveq of port 0 (§5.3.2): the device writes host input into its buffers.</summary>
    public const int ReceiveQueue = 0;

    /// <summary>transmitq of port 0 (§5.3.2): the device reads the guest's output from its buffers.</summary>
    public const int TransmitQueue = 1;

    /// <summary>The host input the device holds for the guest; <see cref="Offer"/> accepts no more
    /// than what is free.</summary>
    public const int InputCapacity = 64 * 1024;

    /// <summary>The bounce buffer between guest memory and the host.</summary>
    public const int ChunkSize = 4096;

    /// <summary>The most bytes of one transmit chain that reach the output sink.</summary>
    public const int MaxBytesPerChain = 1 << 20;

    /// <summary>VIRTIO_CONSOLE_F_SIZE (bit 0): cols and rows are valid.</summary>
    public const ulong FeatureSize = 1UL << 0;
    /// <summary>VIRTIO_CONSOLE_F_MULTIPORT (bit 1): several ports and control queues; not offered.</summary>
    public const ulong FeatureMultiport = 1UL << 1;
    /// <summary>VIRTIO_CONSOLE_F_EMERG_WRITE (bit 2): emerg_wr outputs a character.</summary>
    public const ulong FeatureEmergencyWrite = 1UL << 2;

    private Action<ReadOnlySpan<byte>>? _output;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private readonly Lock _lock = new();
    private readonly byte[] _input = new byte[InputCapacity];
    private int _inputStart;
    private int _inputCount;
    private ushort _columns;
    private ushort _rows;
    private ulong _negotiated;
    private long _rxBytes;
    private long _rxDropped;
    private long _txBytes;
    private long _txDropped;

    /// <summary>A console whose guest output goes to <paramref name="output"/>, sized
    /// <paramref name="columns"/> by <paramref name="rows"/> characters.</summary>
    /// <param name="output">Receives the guest's output in order, in pieces of at most
    /// <see cref="ChunkSize"/> bytes, on the thread that serves the transmit queue (the device's queue worker, under
    /// the transport's lock, so it must not call back into the transport); it must not throw nor keep
    /// the span, which the device reuses; null
    /// discards output. A <see cref="Stream"/> fits as <c>stream.Write</c>.</param>
    /// <param name="columns">cols, the width reported to the driver (0: unknown).</param>
    /// <param name="rows">rows, the height reported to the driver (0: unknown).</param>
    public VirtioConsole(Action<ReadOnlySpan<byte>>? output, ushort columns = 80, ushort rows = 25)
    {
        _output = output;
        _columns = columns;
        _rows = rows;
    }

    /// <summary>Sends the guest's output from now on to <paramref name="output"/> (null discards
    /// it), under the same rules as the constructor's sink: a machine that owns the host's
    /// console end connects it when it is built. Thread-safe; a piece being written when the
    /// sink changes may still go to the old one.</summary>
    /// <param name="output">The new sink.</param>
    public void ConnectOutput(Action<ReadOnlySpan<byte>>? output) => Volatile.Write(ref _output, output);

    /// <inheritdoc/>
    public ushort DeviceType => ConsoleDeviceType;

    /// <inheritdoc/>
    public ulong Features => FeatureSize | FeatureEmergencyWrite;

    /// <inheritdoc/>
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize, QueueSize];

    /// <inheritdoc/>
    public int ConfigSize => VirtioConsoleConfig.Size;

    /// <summary>The feature bits the driver accepted, transport bits included; 0 before
    /// negotiation and after a reset.</summary>
    public ulong NegotiatedFeatures => Interlocked.Read(ref _negotiated);

    /// <summary>The configuration space the driver reads now: cols and rows as last set,
    /// max_nr_ports 1 (the one port; meaningful only with MULTIPORT, which is not offered) and
    /// emerg_wr 0 (write-only).</summary>
    public VirtioConsoleConfig Config
    {
        get
        {
            lock (_lock)
            {
                return new VirtioConsoleConfig { Columns = _columns, Rows = _rows, MaxPorts = 1 };
            }
        }
    }

    /// <summary>Host input bytes waiting for receive buffers.</summary>
    public int PendingInput
    {
        get
        {
            lock (_lock)
            {
                return _inputCount;
            }
        }
    }

    /// <summary>Free space in the input buffer, so a host can hold input back instead of losing it.</summary>
    public int InputFree => InputCapacity - PendingInput;

    /// <summary>Queues host input for the guest: accepts as many leading bytes of
    /// <paramref name="input"/> as fit in the free space of the <see cref="InputCapacity"/>-byte
    /// buffer and drops the rest (counted as rx_dropped); never blocks and never grows. The bytes
    /// reach the guest when the transport next serves <see cref="ReceiveQueue"/>: call its
    /// <c>NotifyQueue(</c><see cref="ReceiveQueue"/><c>)</c> after this. Thread-safe.</summary>
    /// <param name="input">The bytes, in order.</param>
    /// <returns>How many leading bytes were accepted.</returns>
    public int Offer(ReadOnlySpan<byte> input)
    {
        int accepted;
        lock (_lock)
        {
            accepted = Math.Min(input.Length, InputCapacity - _inputCount);
            int tail = (_inputStart + _inputCount) % InputCapacity;
            int first = Math.Min(accepted, InputCapacity - tail);
            input[..first].CopyTo(_input.AsSpan(tail));
            input[first..accepted].CopyTo(_input);
            _inputCount += accepted;
        }
        if (accepted < input.Length)
        {
            Interlocked.Add(ref _rxDropped, input.Length - accepted);
        }
        return accepted;
    }

    /// <summary>Sets cols and rows (the host terminal was resized). Thread-safe.</summary>
    /// <param name="columns">The new width in characters.</param>
    /// <param name="rows">The new height in characters.</param>
    /// <returns>True when the size changed and the driver negotiated VIRTIO_CONSOLE_F_SIZE: the
    /// driver should then get a configuration change notification (§5.3.6 step 3), which
    /// <see cref="VirtioPciFunction.NotifyConfigChanged"/> raises.</returns>
    public bool Resize(ushort columns, ushort rows)
    {
        lock (_lock)
        {
            if (_columns == columns && _rows == rows)
            {
                return false;
            }
            _columns = columns;
            _rows = rows;
        }
        return (NegotiatedFeatures & FeatureSize) != 0;
    }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        DeviceConfigSpace.Read(Config, offset, data);
    }

    /// <inheritdoc/>
    /// <remarks>Only emerg_wr is writable (§5.3.4): a write that covers its first byte sends that
    /// byte, the character, to the output sink (counted in tx_bytes), whether or not the driver
    /// acknowledged VIRTIO_CONSOLE_F_EMERG_WRITE or set up queues, as §5.3.4.2 requires. Other
    /// writes are ignored.</remarks>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        int at = VirtioConsoleConfig.EmergencyWriteOffset - offset;
        if (at >= 0 && at < data.Length)
        {
            Interlocked.Increment(ref _txBytes);
            Volatile.Read(ref _output)?.Invoke(data.Slice(at, 1));
        }
    }

    /// <inheritdoc/>
    /// <remarks><see cref="ReceiveQueue"/>: fills the available receive buffers with pending input,
    /// in order and split across buffers and chains, until the input or the buffers run out; without
    /// input no buffer is taken. <see cref="TransmitQueue"/>: sends every available chain to the output
    /// sink and returns it with used length 0. Other indices do nothing.</remarks>
    public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(memory);
        switch (index)
        {
            case ReceiveQueue:
                Receive(queue, memory);
                break;
            case TransmitQueue:
                Transmit(queue, memory);
                break;
            default:
                break;
        }
    }

    /// <inheritdoc/>
    public void FeaturesNegotiated(ulong features) => Interlocked.Exchange(ref _negotiated, features);

    /// <inheritdoc/>
    /// <remarks>True when the driver took VIRTIO_CONSOLE_F_SIZE and the size is known: Linux's
    /// virtio_console reads cols and rows only on a configuration change, so without one the
    /// console would stay 0 by 0 until the first resize.</remarks>
    public bool DriverReady()
    {
        lock (_lock)
        {
            return (NegotiatedFeatures & FeatureSize) != 0 && _columns != 0 && _rows != 0;
        }
    }

    /// <inheritdoc/>
    /// <remarks>A reset discards the input the guest had not received yet (counted as rx_dropped):
    /// the device returns to its state after construction (§2.4), and bytes typed for the previous
    /// driver are not replayed to the next. The size (cols, rows) is host state and stays.</remarks>
    public void Reset()
    {
        Interlocked.Exchange(ref _negotiated, 0);
        int discarded;
        lock (_lock)
        {
            discarded = _inputCount;
            _inputStart = 0;
            _inputCount = 0;
        }
        Interlocked.Add(ref _rxDropped, discarded);
    }

    /// <summary>What the console has moved since it was made: rx_bytes (host input delivered into
    /// receive buffers), rx_dropped (host input refused because the buffer was full, or discarded by a
    /// reset), tx_bytes (guest output handed to the sink, emergency writes included) and tx_dropped
    /// (guest output past <see cref="MaxBytesPerChain"/> in one chain).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadCounters() =>
    [
        new("rx_bytes", Interlocked.Read(ref _rxBytes)),
        new("rx_dropped", Interlocked.Read(ref _rxDropped)),
        new("tx_bytes", Interlocked.Read(ref _txBytes)),
        new("tx_dropped", Interlocked.Read(ref _txDropped)),
    ];

    private void Receive(SplitVirtqueue queue, GuestMemory memory)
    {
        while (PendingInput > 0 && queue.Pop() is DescriptorChain chain)
        {
            // Readable buffers come first in a chain (§2.7.4.2), so the first tells.
            if (!chain.Buffers[0].Writable)
            {
                throw new VirtqueueException($"console receive chain from head {chain.Head} has a device-readable buffer (§5.3.6.1)");
            }
            uint written = 0;
            foreach (VirtqBuffer buffer in chain.Buffers)
            {
                uint done = 0;
                while (done < buffer.Length)
                {
                    int take = TakeInput((int)Math.Min((uint)ChunkSize, buffer.Length - done));
                    if (take == 0)
                    {
                        break;
                    }
                    GuestAddress at = buffer.Address.Add(done);
                    try
                    {
                        memory.Write(at, _chunk.AsSpan(0, take));
                    }
                    catch (GuestMemoryException e)
                    {
                        throw new VirtqueueException($"console receive buffer at {at} is no longer guest RAM", e);
                    }
                    done += (uint)take;
                    written += (uint)take;
                }
            }
            Interlocked.Add(ref _rxBytes, written);
            queue.PushUsed(chain.Head, written);
        }
    }

    // Moves up to `wanted` pending input bytes into the bounce buffer.
    private int TakeInput(int wanted)
    {
        lock (_lock)
        {
            int take = Math.Min(wanted, _inputCount);
            int first = Math.Min(take, InputCapacity - _inputStart);
            _input.AsSpan(_inputStart, first).CopyTo(_chunk);
            _input.AsSpan(0, take - first).CopyTo(_chunk.AsSpan(first));
            _inputStart = (_inputStart + take) % InputCapacity;
            _inputCount -= take;
            if (_inputCount == 0)
            {
                _inputStart = 0;
            }
            return take;
        }
    }

    private void Transmit(SplitVirtqueue queue, GuestMemory memory)
    {
        while (queue.Pop() is DescriptorChain chain)
        {
            if (chain.Buffers[^1].Writable)
            {
                throw new VirtqueueException($"console transmit chain from head {chain.Head} has a device-writable buffer (§5.3.6.1)");
            }
            ulong sent = 0;
            foreach (VirtqBuffer buffer in chain.Buffers)
            {
                uint done = 0;
                while (done < buffer.Length && sent < MaxBytesPerChain)
                {
                    int take = (int)Math.Min(Math.Min((uint)ChunkSize, buffer.Length - done), MaxBytesPerChain - sent);
                    GuestAddress at = buffer.Address.Add(done);
                    try
                    {
                        memory.Read(at, _chunk.AsSpan(0, take));
                    }
                    catch (GuestMemoryException e)
                    {
                        throw new VirtqueueException($"console transmit buffer at {at} is no longer guest RAM", e);
                    }
                    Volatile.Read(ref _output)?.Invoke(_chunk.AsSpan(0, take));
                    done += (uint)take;
                    sent += (uint)take;
                }
            }
            Interlocked.Add(ref _txBytes, (long)sent);
            Interlocked.Add(ref _txDropped, (long)(chain.ReadableLength - sent));
            // §5.3.6: the device only reads a transmit buffer; it writes nothing.
            queue.PushUsed(chain.Head, 0);
        }
    }
}
