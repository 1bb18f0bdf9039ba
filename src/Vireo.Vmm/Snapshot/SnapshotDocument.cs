using System.Text.Json.Serialization;
using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// A VM snapshot's description, <c>vm.json</c> in the snapshot's directory beside the guest RAM
/// image (<see cref="SnapshotStore"/>). Everything is a register list, as the seed's migration
/// principle asks: each vCPU's registers by KVM_GET_REG_LIST id, the GIC's as device attributes,
/// the SDEI dispatcher's as its firmware pseudo-registers (<see cref="Sdei.SdeiStateRegisters"/>),
/// and the UART's and the GPIO controller's as their model state. No host pointers; values are hex strings.
/// </summary>
public sealed record SnapshotDocument
{
    /// <summary>The value of <see cref="Format"/> in every Vireo snapshot.</summary>
    public const string FormatName = "vireo-snapshot";

    /// <summary>The layout this Vireo writes: version 2 and the PCI functions' and ITS's state
    /// (<see cref="Pci"/>, <see cref="Its"/>).</summary>
    public const int CurrentVersion = 3;

    /// <summary>The first layout with PCI functions and an ITS.</summary>
    public const int PciVersion = 3;

    /// <summary>The first layout with the GPIO controller's state.</summary>
    public const int GpioVersion = 2;

    /// <summary>The oldest layout this Vireo restores: version 1, of a machine without the GPIO
    /// controller (its guest's device tree had none, so the restored one stays at reset).</summary>
    public const int OldestVersion = 1;

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The layout version, <see cref="OldestVersion"/> to <see cref="CurrentVersion"/>.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The value of <see cref="Arch"/> for the arm64 machine.</summary>
    public const string Arm64Arch = "arm64";

    /// <summary>The machine's architecture: <see cref="Arm64Arch"/> (the only one Vireo snapshots so far).</summary>
    public string Arch { get; init; } = Arm64Arch;

    /// <summary>The machine's shape and the guest it booted (for a reboot after the restore).</summary>
    public required SnapshotMachine Machine { get; init; }

    /// <summary>One entry per vCPU, in vCPU order.</summary>
    public required IReadOnlyList<SnapshotVcpu> Vcpus { get; init; }

    /// <summary>The in-kernel GICv3's registers, in restore order (with each redistributor's LPI
    /// registers when the machine has an ITS).</summary>
    public required IReadOnlyList<SnapshotDeviceRegister> Gic { get; init; }

    /// <summary>The ITS's registers, in restore order; null when the machine had no ITS (no PCI
    /// function). Its tables and the LPIs' pending bits are in guest RAM.</summary>
    public IReadOnlyList<SnapshotDeviceRegister>? Its { get; init; }

    /// <summary>The PCI functions, by slot; absent before version 3 and for a machine without any.</summary>
    public IReadOnlyList<SnapshotPciFunction>? Pci { get; init; }

    /// <summary>The console UART's model state.</summary>
    public required Serial8250State Uart { get; init; }

    /// <summary>The SDEI dispatcher's pseudo-registers; null when the machine had no SDEI.</summary>
    public SnapshotSdei? Sdei { get; init; }

    /// <summary>The PL061 GPIO controller's model state (the power key's pin and what the guest's
    /// driver programmed); present from version 2 on, absent in version 1.</summary>
    public Pl061State? Gpio { get; init; }
}

/// <summary>The machine a snapshot was taken of.</summary>
public sealed record SnapshotMachine
{
    /// <summary>vCPUs.</summary>
    public required int Cpus { get; init; }

    /// <summary>Guest RAM in bytes; the RAM image is exactly this long.</summary>
    public required ulong MemoryBytes { get; init; }

    /// <summary>The kernel the VM booted, booted again if the restored guest reboots.</summary>
    public required string Kernel { get; init; }

    /// <summary>The initramfs, if any.</summary>
    public string? Initramfs { get; init; }

    /// <summary>The kernel command line.</summary>
    public required string Cmdline { get; init; }
}

/// <summary>One vCPU: its power state and every register KVM lists for it.</summary>
public sealed record SnapshotVcpu
{
    /// <summary>KVM_GET_MP_STATE's value (<see cref="Kvm.KvmArm64MpState"/>).</summary>
    public required uint MpState { get; init; }

    /// <summary>The registers, in KVM_GET_REG_LIST order.</summary>
    public required IReadOnlyList<SnapshotRegister> Registers { get; init; }
}

/// <summary>A register: its id in hex (<c>0x6030…</c>) and its value's bytes as KVM_GET_ONE_REG
/// wrote them (little-endian), in hex.</summary>
public sealed record SnapshotRegister(string Id, string Value);

/// <summary>A device attribute: its group, its attr in hex and its value in hex.</summary>
public sealed record SnapshotDeviceRegister(uint Group, string Attr, string Value);

/// <summary>A PCI function: which one it was, what its guest programmed in its config space and
/// MSI-X table (replayed through the root bus's and the function's own write paths on restore, so
/// its BAR lands where it was, with its doorbells' ioeventfds, and its vectors' routes are made
/// again), and its virtio transport's state.</summary>
public sealed record SnapshotPciFunction
{
    /// <summary>The function's id (--disk id=, "rng", "console", ...).</summary>
    public required string Id { get; init; }

    /// <summary>Its slot on the root bus.</summary>
    public required int Slot { get; init; }

    /// <summary>The virtio Device ID (2 block, 1 network, 3 console, 4 entropy).</summary>
    public required ushort DeviceType { get; init; }

    /// <summary>Config space as the guest read it (the root's BAR registers included), in hex.</summary>
    public required string Config { get; init; }

    /// <summary>The MSI-X table, in hex.</summary>
    public required string MsixTable { get; init; }

    /// <summary>The transport's state.</summary>
    public required Virtio.VirtioTransportState Transport { get; init; }
}

/// <summary>The SDEI dispatcher's pseudo-registers: the shared list and one list per vCPU.</summary>
public sealed record SnapshotSdei
{
    /// <summary>Shared events and bindings.</summary>
    public required IReadOnlyList<SnapshotRegister> Shared { get; init; }

    /// <summary>Per vCPU: mask, private events, dispatch frames.</summary>
    public required IReadOnlyList<IReadOnlyList<SnapshotRegister>> Vcpus { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(SnapshotDocument))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
