using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>
/// struct kvm_irq_routing_entry (linux/kvm.h): one route of the table KVM_SET_GSI_ROUTING
/// installs, either a GSI wired to a pin of an in-kernel chip or a GSI that sends an MSI. Built
/// with <see cref="ForIrqchip"/> or <see cref="ForMsi"/>; the layout tests pin it to the header.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct KvmIrqRoutingEntry : IEquatable<KvmIrqRoutingEntry>
{
    [FieldOffset(0)] internal uint GsiField;
    [FieldOffset(4)] internal uint Type;
    [FieldOffset(8)] internal uint Flags;
    [FieldOffset(16)] internal KvmIrqRoutingIrqchip Irqchip;
    [FieldOffset(16)] internal KvmIrqRoutingMsi Msi;

    /// <summary>The GSI this route serves; a GSI may have several routes (one per chip).</summary>
    public readonly uint Gsi => GsiField;

    /// <summary>True for an MSI route, false for an irqchip pin.</summary>
    public readonly bool IsMsi => Type == KvmConstants.IrqRoutingMsi;

    /// <summary>The chip of an irqchip route.</summary>
    public readonly KvmIrqchipId Chip => Irqchip.Irqchip;

    /// <summary>The chip's input pin of an irqchip route.</summary>
    public readonly uint Pin => Irqchip.Pin;

    /// <summary>The 64-bit message address of an MSI route.</summary>
    public readonly ulong MsiAddress => ((ulong)Msi.AddressHi << 32) | Msi.AddressLo;

    /// <summary>The message data of an MSI route.</summary>
    public readonly uint MsiData => Msi.Data;

    /// <summary>A route from <paramref name="gsi"/> to <paramref name="pin"/> of <paramref name="chip"/>.</summary>
    public static KvmIrqRoutingEntry ForIrqchip(uint gsi, KvmIrqchipId chip, uint pin) => new()
    {
        GsiField = gsi,
        Type = KvmConstants.IrqRoutingIrqchip,
        Irqchip = new KvmIrqRoutingIrqchip { Irqchip = chip, Pin = pin },
    };

    /// <summary>The requester ID an MSI route names its device by, or null when the route
    /// carries none (<c>KVM_MSI_VALID_DEVID</c> clear).</summary>
    public readonly uint? MsiDeviceId => IsMsi && (Flags & KvmConstants.MsiValidDevid) != 0 ? Msi.DevId : null;

    /// <summary>A route that makes <paramref name="gsi"/> send the message
    /// (<paramref name="address"/>, <paramref name="data"/>), from the device whose requester ID
    /// is <paramref name="deviceId"/> where the irqchip needs it (an arm64 ITS translates by
    /// device: KVM_CAP_MSI_DEVID); null where it must not be given (a PC's local APICs refuse it).</summary>
    public static KvmIrqRoutingEntry ForMsi(uint gsi, ulong address, uint data, uint? deviceId = null) => new()
    {
        GsiField = gsi,
        Type = KvmConstants.IrqRoutingMsi,
        Flags = deviceId is null ? 0 : KvmConstants.MsiValidDevid,
        Msi = new KvmIrqRoutingMsi { AddressLo = (uint)address, AddressHi = (uint)(address >> 32), Data = data, DevId = deviceId ?? 0 },
    };

    /// <summary>Field-wise equality over the bytes KVM reads.</summary>
    public readonly bool Equals(KvmIrqRoutingEntry other) =>
        GsiField == other.GsiField && Type == other.Type && Flags == other.Flags &&
        Msi.AddressLo == other.Msi.AddressLo && Msi.AddressHi == other.Msi.AddressHi &&
        Msi.Data == other.Msi.Data && Msi.DevId == other.Msi.DevId;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is KvmIrqRoutingEntry other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(GsiField, Type, Flags, Msi.AddressLo, Msi.AddressHi, Msi.Data, Msi.DevId);

    /// <inheritdoc/>
    public override readonly string ToString() => IsMsi
        ? $"GSI {Gsi} -> MSI 0x{MsiAddress:x}/0x{MsiData:x}{(MsiDeviceId is uint id ? $" from device 0x{id:x4}" : "")}"
        : $"GSI {Gsi} -> {Chip} pin {Pin}";

    /// <summary>Equality.</summary>
    public static bool operator ==(KvmIrqRoutingEntry left, KvmIrqRoutingEntry right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(KvmIrqRoutingEntry left, KvmIrqRoutingEntry right) => !left.Equals(right);
}
