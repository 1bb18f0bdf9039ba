namespace Vireo.VfioUser;

/// <summary>
/// One value read from the ACPI-notify eventfd (IRQ index 5, Vireo extension). The server keeps
/// at most one value in the eventfd at a time, so the 64-bit counter carries it intact:
/// 0x100 | code for a notify code; 0x200 | n when n (saturating at 255) codes were dropped
/// because the bounded queue was full, placed where they were lost.
/// </summary>
public readonly record struct AcpiNotification(byte Code, int Dropped)
{
    private const ulong CodeTag = 0x100;
    private const ulong OverflowTag = 0x200;

    /// <summary>Whether the value reports dropped codes rather than a code.</summary>
    public bool IsOverflow => Dropped > 0;

    /// <summary>The eventfd value that carries <paramref name="code"/>.</summary>
    public static ulong EncodeCode(byte code) => CodeTag | code;

    /// <summary>The eventfd value that reports <paramref name="dropped"/> lost codes, saturating at 255.</summary>
    public static ulong EncodeOverflow(int dropped) => OverflowTag | (ulong)Math.Min(dropped, 255);

    /// <summary>Reads the ACPI-notify eventfd (non-blocking); false when nothing is waiting.</summary>
    public static bool TryRead(Sys.EventFd eventFd, out AcpiNotification notification)
    {
        notification = default;
        ulong value = eventFd.TryRead();
        return value != 0 && TryDecode(value, out notification);
    }

    /// <summary>Decodes an eventfd value; false for any value the server never writes.</summary>
    public static bool TryDecode(ulong value, out AcpiNotification notification)
    {
        notification = default;
        switch (value & ~0xffUL)
        {
            case CodeTag:
                notification = new AcpiNotification((byte)value, 0);
                return true;
            case OverflowTag when (value & 0xff) != 0:
                notification = new AcpiNotification(0, (int)(value & 0xff));
                return true;
            default:
                return false;
        }
    }
}
