using System.Buffers.Binary;
using Vireo.Devices;
using Vireo.Pci;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>
/// The PCI functions' part of a snapshot, the same for every architecture's machine: each
/// function's config space and MSI-X table as its guest programmed them, and its virtio
/// transport's state. A restore replays them through the paths a guest's own accesses take — the
/// BAR registers and Command register through the root bus (which places the BAR, and the
/// function its doorbells' ioeventfds), the MSI-X table through the function's BAR and the MSI-X
/// enable through its config space (which make the vectors' interrupt routes) — so no second
/// mechanism sets up what the guest set up; then the transport continues its queues.
/// </summary>
/// <remarks>Only virtio functions are snapshotted. A vfio-user device's state lives in its server
/// process and an assigned device's in the hardware, and neither is asked for it (vfio-user's and
/// VFIO's migration protocols are not implemented): such a machine's snapshot is refused by name.</remarks>
internal static class PciSnapshot
{
    private const int ConfigSize = 256;
    private const int MsixEntrySize = 16;

    // Vendor and Device ID: the saved image must be of the same function.
    private const int IdentityLength = 4;

    /// <summary>Makes every virtio function stand still (a disk's requests completed first) until
    /// the result is disposed.</summary>
    public static IDisposable Quiesce(IReadOnlyList<PciAttachment> functions)
    {
        var held = new List<IDisposable>();
        try
        {
            foreach (VirtioMachineFunction virtio in functions.Select(a => a.Function).OfType<VirtioMachineFunction>())
            {
                held.Add(virtio.Quiesce());
            }
        }
        catch
        {
            held.ForEach(h => h.Dispose());
            throw;
        }
        return new Held(held);
    }

    /// <summary>The functions' state, while they stand still (<see cref="Quiesce"/>).</summary>
    /// <exception cref="SnapshotException">A function is not a virtio device.</exception>
    public static IReadOnlyList<SnapshotPciFunction> Capture(PciRootBus pci, IReadOnlyList<PciAttachment> functions)
    {
        var saved = new List<SnapshotPciFunction>();
        foreach (PciAttachment attachment in functions)
        {
            VirtioMachineFunction virtio = attachment.Function as VirtioMachineFunction ?? throw new SnapshotException(
                $"PCI device '{attachment.Function.Id}' cannot be snapshotted: its state lives in " +
                (attachment.Function is IMachineBoundPciFunction { Backend: "vfio-user" } ? "its vfio-user server" : "the host device or another process") +
                ", which Vireo cannot ask for it; snapshots are of machines whose PCI devices are virtio (--disk, --net, --rng, --console virtio)");
            if (virtio.Device is VirtioVsock)
            {
                throw new SnapshotException($"PCI device '{virtio.Id}' (vsock) cannot be snapshotted: its connections are host sockets that do not survive the process");
            }
            int slot = SlotOf(pci, virtio);
            byte[] config = ReadConfigImage(pci, slot);
            byte[] table = [];
            if (FindMsix(config) is (int _, int bar, uint tableOffset, int vectors))
            {
                table = new byte[vectors * MsixEntrySize];
                for (int at = 0; at < table.Length; at += 4)
                {
                    virtio.ReadBar(bar, tableOffset + (ulong)at, table.AsSpan(at, 4));
                }
            }
            saved.Add(new SnapshotPciFunction
            {
                Id = virtio.Id,
                Slot = slot,
                DeviceType = virtio.Device.DeviceType,
                Config = SnapshotStore.Hex(config),
                MsixTable = SnapshotStore.Hex(table),
                Transport = virtio.SaveState(),
            });
        }
        return saved;
    }

    /// <summary>Checks that <paramref name="functions"/>, the machine just built for the
    /// snapshot, are the snapshot's: the same ids, kinds and slots. Before anything is restored.</summary>
    /// <exception cref="SnapshotException">They differ; the message names the difference and the fix.</exception>
    public static void CheckShape(PciRootBus pci, IReadOnlyList<PciAttachment> functions, IReadOnlyList<SnapshotPciFunction> saved)
    {
        var byId = functions.ToDictionary(a => a.Function.Id, a => a.Function, StringComparer.Ordinal);
        foreach (SnapshotPciFunction function in saved)
        {
            if (!byId.Remove(function.Id, out IPciFunction? present))
            {
                throw new SnapshotException($"the snapshot's machine has PCI device '{function.Id}' (virtio device type {function.DeviceType}, slot {function.Slot}); " +
                    "give `vireo run --restore` the same --disk, --net, --rng and --console options as the snapshotted VM");
            }
            if (present is not VirtioMachineFunction virtio || virtio.Device.DeviceType != function.DeviceType)
            {
                throw new SnapshotException($"PCI device '{function.Id}' was a virtio device of type {function.DeviceType} in the snapshot; here it is another kind of device");
            }
            int slot = SlotOf(pci, virtio);
            if (slot != function.Slot)
            {
                throw new SnapshotException($"PCI device '{function.Id}' was in slot {function.Slot} in the snapshot; here it is in slot {slot} (give it slot={function.Slot})");
            }
        }
        if (byId.Count > 0)
        {
            throw new SnapshotException($"the snapshot's machine has no PCI device '{byId.Keys.First()}': its guest never saw one; drop it from the options");
        }
    }

    /// <summary>Replays each function's saved config space and MSI-X table, then restores its
    /// transport (<see cref="VirtioMachineFunction.RestoreState"/>); after <see cref="CheckShape"/>,
    /// with guest RAM and the interrupt controller restored.</summary>
    /// <exception cref="SnapshotException">A saved function's state is malformed or does not fit.</exception>
    public static void Restore(PciRootBus pci, IReadOnlyList<PciAttachment> functions, IReadOnlyList<SnapshotPciFunction> saved)
    {
        CheckShape(pci, functions, saved);
        // Every function's document is read and checked before anything is written.
        var replays = new List<Replay>(saved.Count);
        foreach (SnapshotPciFunction function in saved)
        {
            var virtio = (VirtioMachineFunction)functions.First(a => a.Function.Id == function.Id).Function;
            byte[] config = SnapshotStore.ParseBytes(function.Config, ConfigSize, $"PCI device '{function.Id}' config space");
            // The function's layout (its capabilities, where its MSI-X table is and how long) is
            // this function's own, never the document's: only what a guest writes comes from there.
            byte[] live = ReadConfigImage(pci, function.Slot);
            if (!config.AsSpan(0, IdentityLength).SequenceEqual(live.AsSpan(0, IdentityLength)))
            {
                throw new SnapshotException($"PCI device '{function.Id}' was {SnapshotStore.Hex(config.AsSpan(0, IdentityLength))} (vendor and device ID) in the snapshot; " +
                    $"here it is {SnapshotStore.Hex(live.AsSpan(0, IdentityLength))}");
            }
            (int Capability, int Bar, uint TableOffset, int Vectors)? msix = FindMsix(live);
            byte[] table = msix is (_, _, _, int vectors)
                ? SnapshotStore.ParseBytes(function.MsixTable, vectors * MsixEntrySize, $"PCI device '{function.Id}' MSI-X table")
                : [];
            replays.Add(new Replay(function, virtio, config, msix, table));
        }
        foreach (Replay replay in replays)
        {
            Apply(pci, replay);
        }
    }

    private static void Apply(PciRootBus pci, Replay replay)
    {
        (SnapshotPciFunction function, VirtioMachineFunction virtio, byte[] config, var msix, byte[] table) = replay;
        int slot = function.Slot;
        // The BARs first, while decoding is still off: nothing is placed half-written.
        for (int offset = PciConfigSpace.BarOffset; offset < PciConfigSpace.BarOffset + 24; offset += 4)
        {
            pci.WriteConfig(slot, offset, config.AsSpan(offset, 4));
        }
        if (msix is (_, int bar, uint tableOffset, _))
        {
            for (int at = 0; at < table.Length; at += 4)
            {
                virtio.WriteBar(bar, tableOffset + (ulong)at, table.AsSpan(at, 4));
            }
        }
        pci.WriteConfig(slot, PciConfigSpace.InterruptLineOffset, config.AsSpan(PciConfigSpace.InterruptLineOffset, 1));
        if (msix is (int capability, _, _, _))
        {
            pci.WriteConfig(slot, capability + 2, config.AsSpan(capability + 2, 2));
        }
        // The Command register last: decoding on places the BAR, its memory and its doorbells.
        pci.WriteConfig(slot, PciConfigSpace.CommandOffset, config.AsSpan(PciConfigSpace.CommandOffset, 2));
        CheckReplayed(pci, function.Id, slot, config, msix?.Capability);
        try
        {
            virtio.RestoreState(function.Transport);
        }
        catch (ArgumentException e)
        {
            throw new SnapshotException($"PCI device '{function.Id}': the snapshot's virtio state does not fit: {e.Message}", e);
        }
    }

    /// <summary>One function's checked document, ready to be written.</summary>
    private sealed record Replay(SnapshotPciFunction Function, VirtioMachineFunction Virtio, byte[] Config,
        (int Capability, int Bar, uint TableOffset, int Vectors)? Msix, byte[] Table);

    // What was replayed reads back as saved, or the function refused part of it (another device
    // model behind the same id, a BAR of another size).
    private static void CheckReplayed(PciRootBus pci, string id, int slot, byte[] config, int? msixCapability)
    {
        Span<byte> now = stackalloc byte[4];
        List<(int Offset, int Length)> replayed = [(PciConfigSpace.CommandOffset, 2), (PciConfigSpace.InterruptLineOffset, 1)];
        for (int offset = PciConfigSpace.BarOffset; offset < PciConfigSpace.BarOffset + 24; offset += 4)
        {
            replayed.Add((offset, 4));
        }
        if (msixCapability is int capability)
        {
            replayed.Add((capability + 2, 2));
        }
        foreach ((int offset, int length) in replayed)
        {
            pci.ReadConfig(slot, offset, now[..length]);
            if (!now[..length].SequenceEqual(config.AsSpan(offset, length)))
            {
                throw new SnapshotException(
                    $"PCI device '{id}': config register 0x{offset:x2} reads {SnapshotStore.Hex(now[..length])} after the restore, where the snapshot has {SnapshotStore.Hex(config.AsSpan(offset, length))}");
            }
        }
    }

    private static byte[] ReadConfigImage(PciRootBus pci, int slot)
    {
        byte[] config = new byte[ConfigSize];
        for (int offset = 0; offset < ConfigSize; offset += 4)
        {
            pci.ReadConfig(slot, offset, config.AsSpan(offset, 4));
        }
        return config;
    }

    private static int SlotOf(PciRootBus pci, IPciFunction function)
    {
        foreach ((int slot, IPciFunction present) in pci.Functions)
        {
            if (ReferenceEquals(present, function))
            {
                return slot;
            }
        }
        throw new SnapshotException($"PCI device '{function.Id}' is on no slot of the root bus");
    }

    // The MSI-X capability in a config space image (PCI 3.0 §6.8.2): where it is, the table's BAR
    // and offset, and the number of vectors; null when the function has none. A malformed list
    // (a loop, a pointer outside the header's end) ends the walk.
    private static (int Capability, int Bar, uint TableOffset, int Vectors)? FindMsix(ReadOnlySpan<byte> config)
    {
        if ((config[PciConfigSpace.StatusOffset] & 0x10) == 0)
        {
            return null;
        }
        int at = config[PciConfigSpace.CapabilityPointerOffset] & 0xfc;
        for (int hops = 0; at >= 0x40 && at <= ConfigSize - 8 && hops < 48; hops++)
        {
            if (config[at] == PciConfigSpace.MsixCapabilityId)
            {
                ushort control = BinaryPrimitives.ReadUInt16LittleEndian(config[(at + 2)..]);
                uint table = BinaryPrimitives.ReadUInt32LittleEndian(config[(at + 4)..]);
                return (at, (int)(table & 7), table & ~7u, (control & 0x7ff) + 1);
            }
            at = config[at + 1] & 0xfc;
        }
        return null;
    }

    private sealed class Held(List<IDisposable> held) : IDisposable
    {
        public void Dispose() => held.ForEach(h => h.Dispose());
    }
}
