using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary>A guest driver of one virtio-net function over a backend: negotiates the offered
/// features (or those in a mask), enables receiveq (vector 1) and transmitq (vector 2).</summary>
public sealed class NetRig : IDisposable
{
    public const ushort Size = 16;
    public const ulong Data = 0x40000;
    public static readonly MacAddress GuestMac = MacAddress.Parse("52:54:00:12:34:56");

    public NetRig(INetBackend? backend = null, ulong accept = ulong.MaxValue, ushort? mtu = null)
    {
        Backend = backend ?? (Fake = new FakeNetBackend());
        Memory = DriverRing.NewMemory();
        Device = new VirtioNet(Backend, GuestMac, mtu);
        Function = new VirtioPciFunction("net", Device, Memory, Interrupt);
        Driver = new PciDriver(Function);
        Rx = new QueueRing(Memory, Size, 0x10000);
        Tx = new QueueRing(Memory, Size, 0x18000);
        OfferedFeatures = Driver.DeviceFeatures();
        Initialize(OfferedFeatures & accept);
    }

    public INetBackend Backend { get; }
    public FakeNetBackend? Fake { get; }
    public GuestMemory Memory { get; }
    public VirtioNet Device { get; }
    public VirtioPciFunction Function { get; }
    public PciDriver Driver { get; }
    public QueueRing Rx { get; }
    public QueueRing Tx { get; }
    public RecordingInterrupt Interrupt { get; } = new(3);
    public ulong OfferedFeatures { get; }

    /// <summary>§3.1.1 from a reset, both queues enabled; asserts DRIVER_OK was reached.</summary>
    public void Initialize(ulong features)
    {
        Driver.InitializeQueues(features, Rx, Tx);
    }

    public byte[] ReadConfig(int offset, int length)
    {
        byte[] bytes = new byte[length];
        Function.ReadBar(0, VirtioPciFunction.DeviceConfigOffset + (ulong)offset, bytes);
        return bytes;
    }

    public void Fill(ulong at, ReadOnlySpan<byte> bytes) => Memory.Write(new GuestAddress(at), bytes);

    public byte[] Guest(ulong at, int length)
    {
        byte[] bytes = new byte[length];
        Memory.Read(new GuestAddress(at), bytes);
        return bytes;
    }

    public long Counter(string name) => Device.ReadCounters().Single(c => c.Key == name).Value;

    public void Dispose()
    {
        Memory.Dispose();
        Fake?.Dispose();
    }
}
