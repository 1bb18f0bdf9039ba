namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="SlotPowerDevice"/> needs to resume: the power state, wake arming, the
/// codes the guest has not read yet and the counters. Where the device sits (port, GPEs, ACPI
/// path) is configuration, given again to <see cref="SlotPowerDevice.FromState"/>.
/// </summary>
public sealed record SlotPowerState
{
    /// <summary>The power state the guest's methods last set.</summary>
    public SlotDeviceState State { get; init; }

    /// <summary>Whether the guest armed wake through _DSW.</summary>
    public bool WakeArmed { get; init; }

    /// <summary>Whether the guest ejected the function (_EJ0): the slot Device's _STA then reads 0.</summary>
    public bool Ejected { get; init; }

    /// <summary>Notify codes queued for the guest, oldest first; at most
    /// <see cref="SlotPowerDevice.NotifyCapacity"/>.</summary>
    public byte[] QueuedCodes { get; init; } = [];

    /// <summary>Codes dropped because the mailbox was full.</summary>
    public long DroppedNotifies { get; init; }

    /// <summary>Guest writes dropped as unknown or misplaced.</summary>
    public long IgnoredWrites { get; init; }

    /// <summary>Compares every field, and the queued codes by content rather than by reference.</summary>
    public bool Equals(SlotPowerState? other)
        => other is not null
            && State == other.State
            && WakeArmed == other.WakeArmed
            && Ejected == other.Ejected
            && QueuedCodes.AsSpan().SequenceEqual(other.QueuedCodes)
            && DroppedNotifies == other.DroppedNotifies
            && IgnoredWrites == other.IgnoredWrites;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(State, WakeArmed, Ejected, QueuedCodes.Length, DroppedNotifies, IgnoredWrites);
}
