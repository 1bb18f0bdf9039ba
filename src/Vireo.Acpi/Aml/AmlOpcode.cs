namespace Vireo.Acpi;

/// <summary>AML byte values (ACPI 6.5 §20.3, Table 20.2). Extended opcodes follow
/// <see cref="ExtPrefix"/>.</summary>
internal static class AmlOpcode
{
    public const byte Zero = 0x00;
    public const byte One = 0x01;
    public const byte Name = 0x08;
    public const byte BytePrefix = 0x0A;
    public const byte WordPrefix = 0x0B;
    public const byte DWordPrefix = 0x0C;
    public const byte StringPrefix = 0x0D;
    public const byte QWordPrefix = 0x0E;
    public const byte Scope = 0x10;
    public const byte Buffer = 0x11;
    public const byte Package = 0x12;
    public const byte VarPackage = 0x13;
    public const byte Method = 0x14;
    public const byte DualNamePrefix = 0x2E;
    public const byte MultiNamePrefix = 0x2F;
    public const byte ExtPrefix = 0x5B;
    public const byte RootChar = 0x5C;
    public const byte ParentPrefixChar = 0x5E;
    public const byte NullName = 0x00;
    public const byte Local0 = 0x60;
    public const byte Arg0 = 0x68;
    public const byte Store = 0x70;
    public const byte Not = 0x80;
    public const byte Notify = 0x86;
    public const byte Index = 0x88;
    public const byte If = 0xA0;
    public const byte Else = 0xA1;
    public const byte While = 0xA2;
    public const byte Return = 0xA4;
    public const byte Break = 0xA5;
    public const byte Ones = 0xFF;

    // Second byte after ExtPrefix.
    public const byte ExtMutex = 0x01;
    public const byte ExtAcquire = 0x23;
    public const byte ExtRelease = 0x27;
    public const byte ExtDebug = 0x31;
    public const byte ExtOpRegion = 0x80;
    public const byte ExtField = 0x81;
    public const byte ExtDevice = 0x82;
    public const byte ExtPowerResource = 0x84;
}
