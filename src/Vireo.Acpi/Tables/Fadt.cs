namespace Vireo.Acpi;

/// <summary>Fixed ACPI Description Table, revision 6.5 (ACPI 6.5 §5.2.9, Table 5.9), for a
/// full (not hardware-reduced) ACPI platform whose PM1a event, PM1a control, PM timer and GPE0
/// blocks live in SystemIO at ports the VMM chooses. Both the 32-bit block fields and the
/// X_ Generic Address fields are filled. SMI_CMD is zero: ACPI mode is always on, so the PM1
/// control block must read back SCI_EN set (§4.8.2.1). FIRMWARE_CTRL/DSDT are patched in by
/// <see cref="AcpiTableSet"/>.</summary>
public sealed class Fadt : IAcpiTable
{
    /// <summary>The FADT major revision (ACPI 6.5 Table 5.9).</summary>
    public const byte Revision = 6;
    /// <summary>The FADT minor revision (ACPI 6.5 Table 5.9).</summary>
    public const byte MinorRevision = 5;
    /// <summary>The FADT length in bytes for revision 6.5 (ACPI 6.5 Table 5.9).</summary>
    public const int Length = 276;

    /// <summary>Wbinvd, ProcC1, SleepButton (no sleep button), LowPowerS0IdleCapable; the
    /// power button is the fixed-feature one in PM1.</summary>
    public const FadtFlags DefaultFlags =
        FadtFlags.Wbinvd | FadtFlags.ProcC1 | FadtFlags.SleepButton | FadtFlags.LowPowerS0IdleCapable;

    // Field offsets (ACPI 6.5 Table 5.9) that AcpiTableSet patches.
    internal const int FirmwareCtrlOffset = 36;
    internal const int DsdtOffset = 40;
    internal const int XFirmwareCtrlOffset = 132;
    internal const int XDsdtOffset = 140;

    // PM_TMR_LEN must be 4 (ACPI 6.5 Table 5.9).
    private const byte PmTimerLength = 4;

    /// <summary>
    /// A FADT for the PM1a event and control blocks, PM timer and GPE0 block at the given ports,
    /// and SCI on <paramref name="sciInterrupt"/> (ISA IRQ 9 by default). Throws <see
    /// cref="ArgumentOutOfRangeException"/> for block lengths Table 5.9 forbids and <see
    /// cref="ArgumentException"/> for HW_REDUCED_ACPI in <paramref name="flags"/>.
    /// </summary>
    public Fadt(
        ushort pm1aEventBlock,
        byte pm1EventLength,
        ushort pm1aControlBlock,
        byte pm1ControlLength,
        ushort pmTimerBlock,
        ushort gpe0Block,
        byte gpe0BlockLength,
        ushort sciInterrupt = 9,
        FadtFlags flags = DefaultFlags)
    {
        // Table 5.9: PM1_EVT_LEN >= 4 (status + enable halves), PM1_CNT_LEN >= 2,
        // GPE0_BLK_LEN a multiple of 2 (status + enable halves).
        if (pm1EventLength < 4 || pm1EventLength % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pm1EventLength), pm1EventLength, "PM1_EVT_LEN is even and at least 4");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(pm1ControlLength, (byte)2);
        if (gpe0BlockLength == 0 || gpe0BlockLength % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gpe0BlockLength), gpe0BlockLength, "GPE0_BLK_LEN is a non-zero multiple of 2");
        }
        if ((flags & FadtFlags.HardwareReducedAcpi) != 0)
        {
            throw new ArgumentException("this FADT describes fixed hardware; HW_REDUCED_ACPI does not apply", nameof(flags));
        }
        Pm1aEventBlock = pm1aEventBlock;
        Pm1EventLength = pm1EventLength;
        Pm1aControlBlock = pm1aControlBlock;
        Pm1ControlLength = pm1ControlLength;
        PmTimerBlock = pmTimerBlock;
        Gpe0Block = gpe0Block;
        Gpe0BlockLength = gpe0BlockLength;
        SciInterrupt = sciInterrupt;
        Flags = flags;
    }

    /// <inheritdoc/>
    public string Signature => "FACP";

    /// <summary>PM1a_EVT_BLK: port of the PM1 status and enable registers.</summary>
    public ushort Pm1aEventBlock { get; }

    /// <summary>PM1_EVT_LEN: bytes of the PM1 event block (status half, enable half).</summary>
    public byte Pm1EventLength { get; }

    /// <summary>PM1a_CNT_BLK: port of the PM1 control register (SCI_EN, SLP_TYP, SLP_EN).</summary>
    public ushort Pm1aControlBlock { get; }

    /// <summary>PM1_CNT_LEN: bytes of the PM1 control block.</summary>
    public byte Pm1ControlLength { get; }

    /// <summary>PM_TMR_BLK: port of the 3.579545 MHz PM timer.</summary>
    public ushort PmTimerBlock { get; }

    /// <summary>GPE0_BLK: port of the GPE0 status and enable registers.</summary>
    public ushort Gpe0Block { get; }

    /// <summary>GPE0_BLK_LEN: bytes of the GPE0 block (status half, enable half).</summary>
    public byte Gpe0BlockLength { get; }

    /// <summary>SCI_INT: the legacy IRQ the SCI is wired to.</summary>
    public ushort SciInterrupt { get; }

    /// <summary>The fixed feature flags.</summary>
    public FadtFlags Flags { get; }

    /// <summary>IAPC_BOOT_ARCH: which legacy devices the platform has.</summary>
    public FadtBootArch BootArch { get; init; }

    internal FadtPmProfile PmProfile { get; init; }

    /// <summary>RTC CMOS index of the century byte, zero when not supported.</summary>
    public byte Century { get; init; }

    /// <summary>RESET_REG; set <see cref="FadtFlags.ResetRegSupported"/> with it.</summary>
    internal GenericAddress ResetRegister { get; init; }

    /// <summary>RESET_VALUE: what OSPM writes to the reset register to reset the system.</summary>
    public byte ResetValue { get; init; }

    /// <summary>The identity written in the table header.</summary>
    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    /// <inheritdoc/>
    public byte[] ToBytes()
    {
        var w = new AcpiTableWriter(Signature, Revision, Oem);
        w.DWord(0); // FIRMWARE_CTRL, patched
        w.DWord(0); // DSDT, patched
        w.Byte(0); // reserved (was INT_MODEL)
        w.Byte((byte)PmProfile);
        w.Word(SciInterrupt);
        w.DWord(0); // SMI_CMD: no SMM mode switch, ACPI is always enabled
        w.Byte(0); // ACPI_ENABLE
        w.Byte(0); // ACPI_DISABLE
        w.Byte(0); // S4BIOS_REQ
        w.Byte(0); // PSTATE_CNT
        w.DWord(Pm1aEventBlock);
        w.DWord(0); // PM1b_EVT_BLK
        w.DWord(Pm1aControlBlock);
        w.DWord(0); // PM1b_CNT_BLK
        w.DWord(0); // PM2_CNT_BLK
        w.DWord(PmTimerBlock);
        w.DWord(Gpe0Block);
        w.DWord(0); // GPE1_BLK
        w.Byte(Pm1EventLength);
        w.Byte(Pm1ControlLength);
        w.Byte(0); // PM2_CNT_LEN
        w.Byte(PmTimerLength);
        w.Byte(Gpe0BlockLength);
        w.Byte(0); // GPE1_BLK_LEN
        w.Byte(0); // GPE1_BASE
        w.Byte(0); // CST_CNT
        // P_LVL2_LAT/P_LVL3_LAT above 100/1000 us mean C2/C3 are not supported.
        w.Word(101);
        w.Word(1001);
        w.Word(0); // FLUSH_SIZE
        w.Word(0); // FLUSH_STRIDE
        w.Byte(0); // DUTY_OFFSET
        w.Byte(0); // DUTY_WIDTH
        w.Byte(0); // DAY_ALRM
        w.Byte(0); // MON_ALRM
        w.Byte(Century);
        w.Word((ushort)BootArch);
        w.Byte(0); // reserved
        w.DWord((uint)Flags);
        w.Gas(ResetRegister);
        w.Byte(ResetValue);
        w.Word(0); // ARM_BOOT_ARCH
        w.Byte(MinorRevision);
        w.QWord(0); // X_FIRMWARE_CTRL, patched
        w.QWord(0); // X_DSDT, patched
        // Access sizes: PM1 status/enable/control registers are 16-bit (§4.8.3.1, §4.8.3.2),
        // the PM timer 32-bit (§4.8.3.3), GPE registers byte-wide (§4.8.4.1).
        w.Gas(GenericAddress.SystemIO(Pm1aEventBlock, Pm1EventLength, GasAccessSize.Word));
        w.Gas(default); // X_PM1b_EVT_BLK
        w.Gas(GenericAddress.SystemIO(Pm1aControlBlock, Pm1ControlLength, GasAccessSize.Word));
        w.Gas(default); // X_PM1b_CNT_BLK
        w.Gas(default); // X_PM2_CNT_BLK
        w.Gas(GenericAddress.SystemIO(PmTimerBlock, PmTimerLength, GasAccessSize.DWord));
        w.Gas(GenericAddress.SystemIO(Gpe0Block, Gpe0BlockLength, GasAccessSize.Byte));
        w.Gas(default); // X_GPE1_BLK
        w.Gas(default); // SLEEP_CONTROL_REG: hardware-reduced only
        w.Gas(default); // SLEEP_STATUS_REG: hardware-reduced only
        w.QWord(0); // Hypervisor Vendor Identity
        return w.Finish();
    }
}
