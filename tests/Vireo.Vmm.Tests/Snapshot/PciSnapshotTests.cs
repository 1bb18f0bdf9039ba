using System.Buffers.Binary;
using Vireo.Devices;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.Virtio;
using Vireo.Vmm.Arm64;

namespace Vireo.Vmm.Tests.Snapshot;

/// <summary><see cref="PciSnapshot"/> on a real root bus, without KVM: what it keeps of each
/// function, the functions it refuses, and the restored machine's devices checked against the
/// snapshot's before anything is restored.</summary>
public sealed class PciSnapshotTests
{
    private static (PciRootBus Root, List<PciAttachment> Functions) Machine(params (string Id, int? Slot)[] rngs)
    {
        var root = new PciRootBus(Arm64Platform.PciLayout, new Bus<PioAddress>("pio"), new Bus<MmioAddress>("mmio"));
        var functions = new List<PciAttachment>();
        foreach ((string id, int? slot) in rngs)
        {
            var attachment = new PciAttachment(new VirtioMachineFunction(id, new VirtioRng()), slot);
            root.Attach(attachment.Function, slot);
            functions.Add(attachment);
        }
        return (root, functions);
    }

    private static void WriteConfig32(PciRootBus root, int slot, int register, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        root.WriteConfig(slot, register, data);
    }

    [Fact]
    public void Capture_keeps_each_functions_config_space_as_the_guest_reads_it_and_its_transport()
    {
        (PciRootBus root, List<PciAttachment> functions) = Machine(("rng0", 3), ("rng1", null));
        // The guest placed rng0's BAR and turned memory decoding and bus mastering on.
        WriteConfig32(root, 3, PciConfigSpace.BarOffset, 0x2000_8000);
        WriteConfig32(root, 3, PciConfigSpace.CommandOffset, 0x2 | PciConfigSpace.CommandBusMaster);

        IReadOnlyList<SnapshotPciFunction> saved = PciSnapshot.Capture(root, functions);

        Assert.Equal(["rng0", "rng1"], saved.Select(f => f.Id));
        Assert.Equal(3, saved[0].Slot);
        Assert.NotEqual(3, saved[1].Slot);
        Assert.All(saved, f => Assert.Equal(4, f.DeviceType));
        byte[] config = Convert.FromHexString(saved[0].Config);
        Assert.Equal(256, config.Length);
        Assert.Equal(VirtioPciFunction.VendorId, BinaryPrimitives.ReadUInt16LittleEndian(config));
        Assert.Equal(0x2000_8000u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(PciConfigSpace.BarOffset)));
        Assert.Equal(0x2 | PciConfigSpace.CommandBusMaster, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(PciConfigSpace.CommandOffset)) & 0x6);
        // One table entry per vector: the queue's and the configuration change's.
        Assert.Equal(2 * 16, Convert.FromHexString(saved[0].MsixTable).Length);
        Assert.Equal(0, saved[0].Transport.Status);
        Assert.Single(saved[0].Transport.Queues);
    }

    [Fact]
    public void A_function_whose_state_vireo_cannot_read_is_refused_by_name()
    {
        (PciRootBus root, List<PciAttachment> functions) = Machine(("rng0", null));
        var other = new OpaqueFunction("nvme0");
        root.Attach(other);
        functions.Add(new PciAttachment(other));

        SnapshotException e = Assert.Throws<SnapshotException>(() => PciSnapshot.Capture(root, functions));

        Assert.Contains("PCI device 'nvme0' cannot be snapshotted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_restored_machines_devices_must_be_the_snapshots_by_id_kind_and_slot()
    {
        (PciRootBus root, List<PciAttachment> functions) = Machine(("rng0", 2), ("rng1", 5));
        IReadOnlyList<SnapshotPciFunction> saved = PciSnapshot.Capture(root, functions);

        (PciRootBus same, List<PciAttachment> sameFunctions) = Machine(("rng0", 2), ("rng1", 5));
        PciSnapshot.CheckShape(same, sameFunctions, saved);

        (PciRootBus missing, List<PciAttachment> missingFunctions) = Machine(("rng0", 2));
        Assert.Contains("the snapshot's machine has PCI device 'rng1'",
            Assert.Throws<SnapshotException>(() => PciSnapshot.CheckShape(missing, missingFunctions, saved)).Message, StringComparison.Ordinal);
        (PciRootBus extra, List<PciAttachment> extraFunctions) = Machine(("rng0", 2), ("rng1", 5), ("rng2", 6));
        Assert.Contains("the snapshot's machine has no PCI device 'rng2'",
            Assert.Throws<SnapshotException>(() => PciSnapshot.CheckShape(extra, extraFunctions, saved)).Message, StringComparison.Ordinal);
        (PciRootBus moved, List<PciAttachment> movedFunctions) = Machine(("rng0", 2), ("rng1", 7));
        Assert.Contains("PCI device 'rng1' was in slot 5 in the snapshot; here it is in slot 7",
            Assert.Throws<SnapshotException>(() => PciSnapshot.CheckShape(moved, movedFunctions, saved)).Message, StringComparison.Ordinal);
        SnapshotPciFunction[] otherKind = [saved[0], saved[1] with { DeviceType = 2 }];
        Assert.Contains("PCI device 'rng1' was a virtio device of type 2",
            Assert.Throws<SnapshotException>(() => PciSnapshot.CheckShape(same, sameFunctions, otherKind)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_replays_the_guests_bars_and_command_through_the_root_bus_and_takes_the_layout_from_the_function()
    {
        (PciRootBus root, List<PciAttachment> functions) = Machine(("rng0", 3));
        WriteConfig32(root, 3, PciConfigSpace.BarOffset, 0x2000_8000);
        WriteConfig32(root, 3, PciConfigSpace.CommandOffset, 0x2 | PciConfigSpace.CommandBusMaster);
        IReadOnlyList<SnapshotPciFunction> saved = PciSnapshot.Capture(root, functions);

        (PciRootBus fresh, List<PciAttachment> freshFunctions) = Machine(("rng0", 3));
        // A function bound to no machine has no transport to restore (a machine binds its
        // functions before it restores them); the PCI part went through the root first.
        Assert.Throws<InvalidOperationException>(() => PciSnapshot.Restore(fresh, freshFunctions, saved));
        Assert.Equal(0x2000_8000UL, fresh.BarAddress(3, 0));
        Span<byte> command = stackalloc byte[2];
        fresh.ReadConfig(3, PciConfigSpace.CommandOffset, command);
        Assert.Equal(0x2 | PciConfigSpace.CommandBusMaster, BinaryPrimitives.ReadUInt16LittleEndian(command) & 0x6);

        // A document whose config image is another function's, or whose MSI-X table is not the
        // length this function's capability gives, is refused before anything is written.
        byte[] other = Convert.FromHexString(saved[0].Config);
        other[2] ^= 0xff;
        (PciRootBus third, List<PciAttachment> thirdFunctions) = Machine(("rng0", 3));
        ulong? untouched = third.BarAddress(3, 0);
        Assert.NotEqual(0x2000_8000UL, untouched);
        Assert.Contains("PCI device 'rng0' was",
            Assert.Throws<SnapshotException>(() => PciSnapshot.Restore(third, thirdFunctions, [saved[0] with { Config = Convert.ToHexStringLower(other) }])).Message,
            StringComparison.Ordinal);
        Assert.Throws<SnapshotException>(() => PciSnapshot.Restore(third, thirdFunctions, [saved[0] with { MsixTable = saved[0].MsixTable + saved[0].MsixTable }]));
        Assert.Equal(untouched, third.BarAddress(3, 0));
    }

    /// <summary>A function that is not Vireo's to snapshot (as a vfio-user or assigned device is).</summary>
    private sealed class OpaqueFunction(string id) : IPciFunction
    {
        public string Id => id;

        public IReadOnlyList<PciBarDescriptor> Bars => [];

        public int ConfigSize => PciConfigSpace.StandardSize;

        public void ReadConfig(int offset, Span<byte> data) => data.Fill(0xab);

        public void WriteConfig(int offset, ReadOnlySpan<byte> data)
        {
        }

        public void ReadBar(int index, ulong offset, Span<byte> data) => data.Clear();

        public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
        {
        }

        public MappedMemory MapArea(int index, PciMmapArea area) => throw new InvalidOperationException();

        public void MemoryBarPlaced(int index, MmioAddress? address)
        {
        }
    }
}
