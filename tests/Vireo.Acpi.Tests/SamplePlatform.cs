namespace Vireo.Acpi.Tests;

/// <summary>A small VM platform built with the builder, modelled on the hand-written oracle
/// fixture: a PCIe host bridge with one device and a power resource, an LPS0 device with an
/// Intel s2idle _DSM that reports to port 0x600, a GPE 0 handler that notifies the device with
/// the value at port 0x610, and the FADT/MADT/MCFG around it.</summary>
internal static class SamplePlatform
{
    public const ushort Pm1aEventBlock = 0x400;
    public const ushort Pm1aControlBlock = 0x404;
    public const ushort PmTimerBlock = 0x408;
    public const ushort Gpe0Block = 0x420;
    public const ushort S2IdlePort = 0x600;
    public const ushort NotifyPort = 0x610;
    public const ushort PowerPort = 0x620;
    public const string LpsUuid = "c4eb40a0-6cd2-11e2-bcfd-0800200c9a66";

    public static Fadt Fadt() => new(Pm1aEventBlock, 4, Pm1aControlBlock, 2, PmTimerBlock, Gpe0Block, 4)
    {
        BootArch = FadtBootArch.Keyboard8042 | FadtBootArch.VgaNotPresent,
        Century = 0x32,
    };

    public static Madt Madt(int vcpus = 4) => new(
        [
            .. global::Vireo.Acpi.Madt.Processors(vcpus),
            new MadtIoApic(0, MadtIoApic.DefaultAddress, 0),
            new MadtInterruptOverride(0, 2),
            new MadtInterruptOverride(9, 9, MpsIntiFlags.ActiveHigh | MpsIntiFlags.LevelTriggered),
        ]);

    public static Mcfg Mcfg() => new(new McfgAllocation(0xB000_0000, 0, 0, 0xFF));

    public static Dsdt Dsdt()
    {
        var local0 = new AmlLocal(0);
        var local1 = new AmlLocal(1);
        var arg0 = new AmlArg(0);
        AmlStore S2Id(ulong value) => new(new AmlInteger(value), new AmlPath("S2ID"));

        return new Dsdt(
            // Sleep states: S0 and S5 only (ACPI 6.5 §7.4.2).
            new AmlName("\\_S0", new AmlPackage(AmlInteger.Zero, AmlInteger.Zero, AmlInteger.Zero, AmlInteger.Zero)),
            new AmlName("\\_S5", new AmlPackage(new AmlInteger(5), new AmlInteger(5), AmlInteger.Zero, AmlInteger.Zero)),
            new AmlMutex("\\LCK0"),
            // SUMN (n): 0 + 1 + ... + (n - 1), under LCK0; exercises While, Add, Increment, Acquire.
            new AmlMethod("\\SUMN", 1, serialized: true,
                new AmlStore(new AmlAcquire("\\LCK0"), local0),
                new AmlStore(AmlInteger.Zero, local0),
                new AmlStore(AmlInteger.Zero, local1),
                new AmlWhile(new AmlCompare(AmlCompareOperator.LLess, local1, arg0),
                    new AmlBinary(AmlBinaryOperator.Add, local0, local1, local0),
                    new AmlUnary(AmlUnaryOperator.Increment, local1)),
                new AmlRelease("\\LCK0"),
                new AmlReturn(local0)),
            new AmlScope("\\_SB",
                new AmlOperationRegion("PRIO", AcpiAddressSpace.SystemIO, PowerPort, 1),
                new AmlField("PRIO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("PR0C", 8)),
                new AmlPowerResource("PR00", 0, 0,
                    new AmlMethod("_STA", 0, false,
                        new AmlReturn(new AmlBinary(AmlBinaryOperator.And, new AmlPath("PR0C"), AmlInteger.One))),
                    new AmlMethod("_ON", 0, false, new AmlStore(AmlInteger.One, new AmlPath("PR0C"))),
                    new AmlMethod("_OFF", 0, false, new AmlStore(AmlInteger.Zero, new AmlPath("PR0C")))),
                new AmlDevice("PCI0",
                    new AmlName("_HID", new AmlEisaId("PNP0A08")),
                    new AmlName("_CID", new AmlEisaId("PNP0A03")),
                    new AmlName("_UID", AmlInteger.Zero),
                    new AmlName("_SEG", AmlInteger.Zero),
                    new AmlName("_BBN", AmlInteger.Zero),
                    new AmlName("_CRS", new AmlResourceTemplate(
                        AddressSpaceDescriptor.WordBusNumber(0, 0xFF),
                        new IoDescriptor(0xCF8, 8),
                        AddressSpaceDescriptor.WordIo(0x0D00, 0xFFFF),
                        AddressSpaceDescriptor.DWordMemory(0xC000_0000, 0xFEBF_FFFF, AmlMemoryCaching.NonCacheable),
                        AddressSpaceDescriptor.QWordMemory(0x1_0000_0000, 0x1_FFFF_FFFF, AmlMemoryCaching.Prefetchable))),
                    new AmlDevice("D01",
                        new AmlName("_ADR", new AmlInteger(0x0002_0000)),
                        new AmlName("_PR0", new AmlPackage(new AmlPath("^^PR00"))),
                        new AmlName("_PR3", new AmlPackage(new AmlPath("^^PR00"))),
                        new AmlName("_PRW", new AmlPackage(AmlInteger.One, AmlInteger.Zero)),
                        new AmlMethod("_S0W", 0, false, new AmlReturn(new AmlInteger(4))))),
                new AmlDevice("LPS0",
                    new AmlName("_HID", new AmlString("PNP0D80")),
                    new AmlName("_UID", AmlInteger.One),
                    new AmlName("_CRS", new AmlResourceTemplate(
                        new IoDescriptor(S2IdlePort, 1),
                        new InterruptDescriptor(AmlInterruptTrigger.Level, AmlInterruptPolarity.ActiveHigh, false, 9))),
                    new AmlOperationRegion("S2IO", AcpiAddressSpace.SystemIO, S2IdlePort, 1),
                    new AmlField("S2IO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("S2ID", 8)),
                    new AmlDsm(new AmlDsmInterface(LpsUuid,
                        new AmlDsmFunction(3, S2Id(0x13)),
                        new AmlDsmFunction(4, S2Id(0x14)),
                        new AmlDsmFunction(5, S2Id(0x15)),
                        new AmlDsmFunction(6, S2Id(0x16)))))),
            new AmlScope("\\_GPE",
                new AmlOperationRegion("NTIO", AcpiAddressSpace.SystemIO, NotifyPort, 1),
                new AmlField("NTIO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("NTFY", 8)),
                new AmlMethod("_E00", 0, false, new AmlNotify(new AmlPath("\\_SB.PCI0.D01"), new AmlPath("NTFY")))));
    }

    /// <summary>Test-only SSDT: \POKB (port, byte) writes any SystemIO port through acpiexec's
    /// simulated regions, which the DSDT's regions share.</summary>
    public static Ssdt Harness()
    {
        var hval = new AmlPath("HVAL");
        return new Ssdt(
            new AmlMethod("\\POKB", 2, serialized: true,
                new AmlOperationRegion("HIO", AcpiAddressSpace.SystemIO, new AmlArg(0), AmlInteger.One),
                new AmlField("HIO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("HVAL", 8)),
                new AmlStore(new AmlArg(1), hval)))
        {
            Oem = AcpiOem.Vireo with { OemTableId = "HARNESS" },
        };
    }
}
