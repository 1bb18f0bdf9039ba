namespace Vireo.Sdei;

/// <summary>
/// Ids of the dispatcher's firmware pseudo-registers, shaped like KVM's arm64 register ids so that a VMM can
/// list them beside KVM_GET_REG_LIST and migrate them the same way (the seed's principle: non-architected state
/// travels as pseudo-registers, never as a new ABI with kernel pointers).
/// </summary>
/// <remarks>
/// <code>
///  63..52  0x603      KVM_REG_ARM64 | KVM_REG_SIZE_U64 (include/uapi/linux/kvm.h)
///  51..28  item       static-table index, dispatch level, or GICv3 INTID (24 bits, the INTID width)
///  27..16  0xF53      coprocessor field private to Vireo; KVM uses 0x10..0x16 (KVM_REG_ARM_CORE..FW_FEAT_BMAP)
///  15..8   group      see the Group* constants
///   7..0   field
/// </code>
/// These ids are never passed to KVM: the vCPU glue hands them to <see cref="SdeiDispatcher.ImportState"/>.
/// Format version 1 is <see cref="FormatVersion"/>; a list with another version is refused.
/// </remarks>
public static class SdeiStateRegisters
{
    /// <summary>KVM_REG_ARM64, bits 63..52 of every id (include/uapi/linux/kvm.h).</summary>
    public const ulong KvmRegArm64 = 0x6000_0000_0000_0000;
    /// <summary>KVM_REG_SIZE_U64: every pseudo-register is 64 bits (include/uapi/linux/kvm.h).</summary>
    public const ulong KvmRegSizeU64 = 0x0030_0000_0000_0000;
    /// <summary>The coprocessor field, bits 27..16, private to Vireo so no KVM register id collides.</summary>
    public const ulong Coprocessor = 0x0F53;
    /// <summary>The largest item, 24 bits, wide enough for any GICv3 INTID.</summary>
    public const uint MaxItem = 0x00FF_FFFF;
    /// <summary>The format this dispatcher writes and the only one it imports.</summary>
    public const ulong FormatVersion = 1;

    /// <summary>Header, in both lists: field 0 = <see cref="FormatVersion"/>, field 1 = list kind (1 vCPU, 2 shared).</summary>
    public const byte GroupHeader = 0x00;

    /// <summary>Per vCPU: field 0 = PE masked (0/1), field 1 = dispatch depth (0..2).</summary>
    public const byte GroupPe = 0x01;

    /// <summary>Per vCPU, item = static-table index: the event fields below.</summary>
    public const byte GroupPrivateEvent = 0x02;

    /// <summary>Per vCPU, item = INTID of a bound PPI: the event fields below.</summary>
    public const byte GroupBoundPrivateEvent = 0x03;

    /// <summary>Per vCPU, item = dispatch level (0 outer, 1 the critical event that preempted it): the frame fields.</summary>
    public const byte GroupFrame = 0x04;

    /// <summary>Shared, item = static-table index: the event fields and the shared-event fields.</summary>
    public const byte GroupSharedEvent = 0x11;

    /// <summary>Shared, item = INTID of a bound SPI: the event fields and the shared-event fields.</summary>
    public const byte GroupBoundSharedEvent = 0x12;

    /// <summary>Shared, item = INTID: field 0 = 1 for a bound PPI (private event), 2 for a bound SPI (shared event).</summary>
    public const byte GroupBinding = 0x13;

    /// <summary>Header field: the format version.</summary>
    public const byte FieldVersion = 0;
    /// <summary>Header field: <see cref="ListKindVcpu"/> or <see cref="ListKindShared"/>.</summary>
    public const byte FieldListKind = 1;
    /// <summary>A per-vCPU list.</summary>
    public const ulong ListKindVcpu = 1;
    /// <summary>The shared list, one per VM.</summary>
    public const ulong ListKindShared = 2;

    /// <summary>PE field: 1 when the PE is masked (PE_MASK), else 0.</summary>
    public const byte FieldMasked = 0;
    /// <summary>PE field: how many handlers are running on the PE, 0 to 2.</summary>
    public const byte FieldDepth = 1;

    /// <summary>The event number, checked on import against the table (a different table is refused).</summary>
    public const byte FieldEventNumber = 0;

    /// <summary>Bit 0 registered, bit 1 enabled, bit 2 running (as EVENT_STATUS), bit 3 signalled and not yet delivered.</summary>
    public const byte FieldEventFlags = 1;
    /// <summary>Event field: the handler's entry point given to EVENT_REGISTER.</summary>
    public const byte FieldEntryPoint = 2;
    /// <summary>Event field: the argument given to EVENT_REGISTER.</summary>
    public const byte FieldArgument = 3;
    /// <summary>Event field: the routing mode of a shared event.</summary>
    public const byte FieldRoutingMode = 4;
    /// <summary>Event field: the routing affinity of a shared event.</summary>
    public const byte FieldAffinity = 5;

    /// <summary>Shared events: 0 when not running, otherwise the index of the vCPU running the handler plus one.</summary>
    public const byte FieldHandlerVcpu = 6;

    /// <summary><see cref="FieldEventFlags"/> bit: registered.</summary>
    public const ulong FlagRegistered = 1;
    /// <summary><see cref="FieldEventFlags"/> bit: enabled.</summary>
    public const ulong FlagEnabled = 2;
    /// <summary><see cref="FieldEventFlags"/> bit: its handler is running.</summary>
    public const ulong FlagRunning = 4;
    /// <summary><see cref="FieldEventFlags"/> bit: signalled and not yet delivered.</summary>
    public const ulong FlagPending = 8;

    /// <summary>Frame field 0: the event number; 1..18: saved x0..x17; 19: saved PC; 20: saved PSTATE.</summary>
    public const byte FieldFrameEvent = 0;
    /// <summary>Frame field of saved x0; x1..x17 follow.</summary>
    public const byte FieldFrameX0 = 1;
    /// <summary>Frame field of the saved PC.</summary>
    public const byte FieldFramePc = 19;
    /// <summary>Frame field of the saved PSTATE.</summary>
    public const byte FieldFramePstate = 20;

    /// <summary>Binding field: <see cref="BindingPrivate"/> or <see cref="BindingShared"/>.</summary>
    public const byte FieldBindingKind = 0;
    /// <summary>The INTID is a PPI bound as a private event.</summary>
    public const ulong BindingPrivate = 1;
    /// <summary>The INTID is an SPI bound as a shared event.</summary>
    public const ulong BindingShared = 2;

    private const ulong PrefixMask = 0xFFF0_0000_0000_0000;
    private const ulong CoprocessorMask = 0x0000_0000_0FFF_0000;

    /// <summary>The id of one pseudo-register.</summary>
    /// <param name="group">One of the Group* constants.</param>
    /// <param name="item">The table index, dispatch level or INTID, at most <see cref="MaxItem"/>.</param>
    /// <param name="field">The field within the group.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="item"/> is above <see cref="MaxItem"/>.</exception>
    public static ulong Id(byte group, uint item, byte field)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(item, MaxItem);
        return KvmRegArm64 | KvmRegSizeU64 | ((ulong)item << 28) | (Coprocessor << 16) | ((ulong)group << 8) | field;
    }

    /// <summary>True for ids in Vireo's SDEI pseudo-register range, so the glue can split them from KVM's own.</summary>
    public static bool IsSdeiRegister(ulong id) =>
        (id & PrefixMask) == (KvmRegArm64 | KvmRegSizeU64) && (id & CoprocessorMask) == Coprocessor << 16;

    /// <summary>The group of an id (bits 15..8).</summary>
    public static byte GroupOf(ulong id) => (byte)(id >> 8);

    /// <summary>The item of an id (bits 51..28).</summary>
    public static uint ItemOf(ulong id) => (uint)(id >> 28) & MaxItem;

    /// <summary>The field of an id (bits 7..0).</summary>
    public static byte FieldOf(ulong id) => (byte)id;
}
