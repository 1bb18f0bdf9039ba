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
        Rx.Restart();
        Tx.Restart();
        Driver.BusMaster(true);
        Driver.Status = 0;
        Driver.Status = 1;
        Driver.Status = 1 | 2;
        Driver.DriverFeatures(features);
        Driver.Status = 1 | 2 | 8;
        Assert.Equal(1 | 2 | 8, Driver.Status);
        Driver.EnableMsix();
        for (int v = 0; v < 3; v++)
        {
            Driver.MaskVector(v, false);
        }
        Driver.Write(Driver.Common + 0x10, 2, 0); // msix_config
        Enable(0, Rx, 1);
        Enable(1, Tx, 2);
        Driver.Status = 1 | 2 | 8 | 4;
        Assert.Equal(0x0f, Driver.Status);
    }

    private void Enable(ushort queue, QueueRing ring, ushort vector)
    {
        Driver.Write(Driver.Common + 0x16, 2, queue); // queue_select
        Driver.Write(Driver.Common + 0x18, 2, Size);
        Driver.Write(Driver.Common + 0x1a, 2, vector);
        Driver.Write(Driver.Common + 0x20, 8, ring.Desc);
        Driver.Write(Driver.Common + 0x28, 8, ring.Avail);
        Driver.Write(Driver.Common + 0x30, 8, ring.Used);
        Driver.Write(Driver.Common + 0x1c, 2, 1); // queue_enable
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
