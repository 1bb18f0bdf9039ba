namespace Vireo.Devices;

/// <summary>One Low Power S0 Idle _DSM call the guest made, as decoded from the trap port.</summary>
public readonly record struct LowPowerIdleEvent(LowPowerIdleFamily Family, LowPowerIdleFunction Function)
{
    /// <summary>The byte the device's AML writes for this call: family in the high nibble,
    /// function in the low one, so an acpiexec log or a port trace reads at a glance.</summary>
    public byte Code => (byte)(((int)Family << 4) | (int)Function);

    /// <summary>Decodes a code byte; false for any family or function that is not defined.</summary>
    public static bool TryDecode(byte code, out LowPowerIdleEvent notification)
    {
        var family = (LowPowerIdleFamily)(code >> 4);
        var function = (LowPowerIdleFunction)(code & 0x0F);
        if (Enum.IsDefined(family) && Enum.IsDefined(function))
        {
            notification = new LowPowerIdleEvent(family, function);
            return true;
        }
        notification = default;
        return false;
    }

    /// <summary>The family, the function and the code byte in hex, for logs.</summary>
    public override string ToString() => $"{Family} {Function} (0x{Code:X2})";
}
