namespace Vireo.Acpi.Tests;

/// <summary>One AML example: the ASL it corresponds to, the bytes derived by hand from the
/// ACPI 6.5 §20 grammar, and the builder nodes. In-method cases are the body of
/// <c>Method (MTST, 7, NotSerialized)</c>; <see cref="Support"/> declares what they refer to.</summary>
internal sealed record AmlCase(string Asl, byte[] Expected, IAml[] Nodes, bool InMethod = false, string Support = "");

internal static class AmlCases
{
    private static readonly AmlLocal s_local0 = new(0);
    private static readonly AmlLocal s_local1 = new(1);
    private static readonly AmlLocal s_local2 = new(2);
    private static readonly AmlLocal s_local3 = new(3);
    private static readonly AmlArg s_arg0 = new(0);
    private static readonly AmlArg s_arg1 = new(1);

    public static IReadOnlyDictionary<string, AmlCase> All { get; } = Build();

    private static AmlInteger I(ulong value) => new(value);

    private static AmlCompare Eq(IAml a, IAml b) => new(AmlCompareOperator.LEqual, a, b);

    private static Dictionary<string, AmlCase> Build()
    {
        var cases = new Dictionary<string, AmlCase>();

        // --- Integers: shortest encoding at every prefix boundary (§20.2.3) ---
        cases["IntegerConstants"] = new(
            """
            Name (INT0, 0x00)
            Name (INT1, 0x01)
            Name (INT2, 0xFFFFFFFFFFFFFFFF)
            """,
            Bytes.Of("08 'INT0' 00  08 'INT1' 01  08 'INT2' FF"),
            [new AmlName("INT0", AmlInteger.Zero), new AmlName("INT1", AmlInteger.One), new AmlName("INT2", AmlInteger.Ones)]);
        cases["IntegerPrefixes"] = new(
            """
            Name (B000, 0x02)
            Name (B001, 0xFF)
            Name (W000, 0x0100)
            Name (W001, 0xFFFF)
            Name (D000, 0x00010000)
            Name (D001, 0xFFFFFFFF)
            Name (Q000, 0x0000000100000000)
            Name (Q001, 0xFFFFFFFFFFFFFFFE)
            """,
            Bytes.Of("""
                08 'B000' 0A 02  08 'B001' 0A FF
                08 'W000' 0B 00 01  08 'W001' 0B FF FF
                08 'D000' 0C 00 00 01 00  08 'D001' 0C FF FF FF FF
                08 'Q000' 0E 00 00 00 00 01 00 00 00  08 'Q001' 0E FE FF FF FF FF FF FF FF
                """),
            [
                new AmlName("B000", I(2)), new AmlName("B001", I(0xFF)),
                new AmlName("W000", I(0x100)), new AmlName("W001", I(0xFFFF)),
                new AmlName("D000", I(0x10000)), new AmlName("D001", I(0xFFFF_FFFF)),
                new AmlName("Q000", I(0x1_0000_0000)), new AmlName("Q001", I(0xFFFF_FFFF_FFFF_FFFE)),
            ]);

        // --- Strings, buffers, packages (§20.2.3, §20.2.5.4) ---
        cases["String"] = new(
            """
            Name (STR0, "PNP0D80")
            Name (STR1, "")
            """,
            Bytes.Of("08 'STR0' 0D 'PNP0D80' 00  08 'STR1' 0D 00"),
            [new AmlName("STR0", new AmlString("PNP0D80")), new AmlName("STR1", new AmlString(""))]);
        cases["Buffer"] = new(
            """
            Name (BUF0, Buffer (0x03) { 0x01, 0x02, 0x03 })
            Name (BUF1, Buffer (Zero) {})
            """,
            Bytes.Of("08 'BUF0' 11 06 0A 03 01 02 03  08 'BUF1' 11 02 00"),
            [new AmlName("BUF0", new AmlBuffer([1, 2, 3])), new AmlName("BUF1", new AmlBuffer([]))]);
        cases["Package"] = new(
            """
            Name (PKG0, Package (0x03) { One, "A", Package (One) { 0x05 } })
            Name (PKG1, Package (One) { PKG0 })
            """,
            Bytes.Of("08 'PKG0' 12 0B 03 01 0D 41 00 12 04 01 0A 05  08 'PKG1' 12 06 01 'PKG0'"),
            [
                new AmlName("PKG0", new AmlPackage(AmlInteger.One, new AmlString("A"), new AmlPackage(I(5)))),
                new AmlName("PKG1", new AmlPackage(new AmlPath("PKG0"))),
            ]);
        {
            // 256 elements do not fit NumElements (one byte), so iasl switches to VarPackage;
            // content 3 + 256 = 259, PkgLength 261 = 0x105 in two bytes.
            string zeros = string.Join(", ", Enumerable.Repeat("Zero", 256));
            byte[] expected = [.. Bytes.Of("08 'VPKG' 13 45 10 0B 00 01"), .. new byte[256]];
            cases["VarPackage"] = new(
                $"Name (VPKG, Package (0x0100) {{ {zeros} }})",
                expected,
                [new AmlName("VPKG", new AmlVarPackage(Enumerable.Repeat<IAml>(AmlInteger.Zero, 256)))]);
        }

        // --- Name strings (§20.2.2): root, parent prefix, dual and multi name ---
        cases["NamePaths"] = new(
            """
            Scope (\)
            {
                Name (R000, Zero)
            }
            Device (\_SB.PCI0)
            {
                Device (D01)
                {
                    Name (^^P000, Zero)
                    Name (^P001, Zero)
                }
            }
            Name (\_SB.PCI0.D01.M000, One)
            """,
            Bytes.Of("""
                10 09 5C 00 08 'R000' 00
                5B 82 21 5C 2E '_SB_' 'PCI0'
                    5B 82 14 'D01_'
                        08 5E 5E 'P000' 00
                        08 5E 'P001' 00
                08 5C 2F 04 '_SB_' 'PCI0' 'D01_' 'M000' 01
                """),
            [
                new AmlScope("\\", new AmlName("R000", AmlInteger.Zero)),
                new AmlDevice("\\_SB.PCI0",
                    new AmlDevice("D01",
                        new AmlName("^^P000", AmlInteger.Zero),
                        new AmlName("^P001", AmlInteger.Zero))),
                new AmlName("\\_SB.PCI0.D01.M000", AmlInteger.One),
            ]);

        // --- Scope, Device, EISAID, Method (§20.2.5.1, §20.2.5.2, §19.3.4) ---
        cases["ScopeDeviceEisaId"] = new(
            """
            Scope (\_SB)
            {
                Device (PCI0)
                {
                    Name (_HID, EisaId ("PNP0A08"))
                    Name (_CID, EisaId ("PNP0A03"))
                }
            }
            """,
            Bytes.Of("""
                10 21 5C '_SB_'
                    5B 82 19 'PCI0'
                        08 '_HID' 0C 41 D0 0A 08
                        08 '_CID' 0C 41 D0 0A 03
                """),
            [
                new AmlScope("\\_SB",
                    new AmlDevice("PCI0",
                        new AmlName("_HID", new AmlEisaId("PNP0A08")),
                        new AmlName("_CID", new AmlEisaId("PNP0A03")))),
            ]);
        cases["Method"] = new(
            """
            Method (MTH0, 2, Serialized, 3)
            {
                Return (Arg1)
            }
            Method (MTH1, 0, NotSerialized)
            {
                Return (Zero)
            }
            """,
            Bytes.Of("14 08 'MTH0' 3A A4 69  14 08 'MTH1' 00 A4 00"),
            [
                new AmlMethod("MTH0", 2, serialized: true, new AmlReturn(s_arg1)) { SyncLevel = 3 },
                new AmlMethod("MTH1", 0, serialized: false, new AmlReturn(AmlInteger.Zero)),
            ]);

        // --- OperationRegion and Field (§20.2.5.2) ---
        cases["OperationRegionField"] = new(
            """
            OperationRegion (PRIO, SystemIO, 0x0620, One)
            Field (PRIO, ByteAcc, NoLock, Preserve)
            {
                PR0C,   8
            }
            OperationRegion (MEM0, SystemMemory, 0xFED00000, 0x0400)
            Field (MEM0, DWordAcc, Lock, WriteAsZeros)
            {
                REG0,   32,
                    ,   32,
                REG1,   64
            }
            OperationRegion (PCFG, PCI_Config, Zero, 0x0100)
            Field (PCFG, AnyAcc, NoLock, WriteAsOnes)
            {
                VID0,   16,
                DID0,   16
            }
            """,
            Bytes.Of("""
                5B 80 'PRIO' 01 0B 20 06 01
                5B 81 0B 'PRIO' 01 'PR0C' 08
                5B 80 'MEM0' 00 0C 00 00 D0 FE 0B 00 04
                5B 81 13 'MEM0' 53 'REG0' 20 00 20 'REG1' 40 04
                5B 80 'PCFG' 02 00 0B 00 01
                5B 81 10 'PCFG' 20 'VID0' 10 'DID0' 10
                """),
            [
                new AmlOperationRegion("PRIO", AcpiAddressSpace.SystemIO, 0x620, 1),
                new AmlField("PRIO", AmlFieldAccess.ByteAcc, locked: false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("PR0C", 8)),
                new AmlOperationRegion("MEM0", AcpiAddressSpace.SystemMemory, 0xFED0_0000, 0x400),
                new AmlField("MEM0", AmlFieldAccess.DWordAcc, locked: true, AmlFieldUpdate.WriteAsZeros,
                    AmlFieldUnit.Named("REG0", 32), AmlFieldUnit.Reserved(32), AmlFieldUnit.Named("REG1", 64)),
                new AmlOperationRegion("PCFG", AcpiAddressSpace.PciConfig, 0, 0x100),
                new AmlField("PCFG", AmlFieldAccess.AnyAcc, locked: false, AmlFieldUpdate.WriteAsOnes,
                    AmlFieldUnit.Named("VID0", 16), AmlFieldUnit.Named("DID0", 16)),
            ]);
        cases["FieldWidthBoundaries"] = new(
            // A field unit's width is the plain bit count in PkgLength encoding, sized the way
            // iasl sizes a PkgLength (as if counting itself): 63 -> 4F 03, 4095 -> 8F FF 00.
            """
            OperationRegion (BIG0, SystemMemory, 0x10000000, 0x1000)
            Field (BIG0, AnyAcc, NoLock, Preserve)
            {
                F063,   63,
                F064,   64,
                F4K0,   4095,
                F4K1,   4096
            }
            """,
            Bytes.Of("""
                5B 80 'BIG0' 00 0C 00 00 00 10 0B 00 10
                5B 81 20 'BIG0' 00 'F063' 4F 03 'F064' 40 04 'F4K0' 8F FF 00 'F4K1' 80 00 01
                """),
            [
                new AmlOperationRegion("BIG0", AcpiAddressSpace.SystemMemory, 0x1000_0000, 0x1000),
                new AmlField("BIG0", AmlFieldAccess.AnyAcc, locked: false, AmlFieldUpdate.Preserve,
                    AmlFieldUnit.Named("F063", 63), AmlFieldUnit.Named("F064", 64),
                    AmlFieldUnit.Named("F4K0", 4095), AmlFieldUnit.Named("F4K1", 4096)),
            ]);

        // --- Mutex, PowerResource, ToUUID ---
        cases["Mutex"] = new(
            "Mutex (MTX0, 0x03)",
            Bytes.Of("5B 01 'MTX0' 03"),
            [new AmlMutex("MTX0", 3)]);
        cases["PowerResource"] = new(
            """
            PowerResource (PR00, 0x00, 0x0000)
            {
                Method (_STA, 0, NotSerialized)
                {
                    Return (One)
                }
                Method (_ON, 0, NotSerialized)
                {
                }
                Method (_OFF, 0, NotSerialized)
                {
                }
            }
            """,
            Bytes.Of("""
                5B 84 1F 'PR00' 00 00 00
                    14 08 '_STA' 00 A4 01
                    14 06 '_ON_' 00
                    14 06 '_OFF' 00
                """),
            [
                new AmlPowerResource("PR00", 0, 0,
                    new AmlMethod("_STA", 0, false, new AmlReturn(AmlInteger.One)),
                    new AmlMethod("_ON", 0, false),
                    new AmlMethod("_OFF", 0, false)),
            ]);
        cases["ToUUID"] = new(
            """Name (UUID, ToUUID ("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66"))""",
            Bytes.Of("08 'UUID' 11 13 0A 10 A0 40 EB C4 D2 6C E2 11 BC FD 08 00 20 0C 9A 66"),
            [new AmlName("UUID", new AmlUuid("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66"))]);

        // --- Resource template (§6.4), checksum byte zero as iasl writes it ---
        cases["ResourceTemplate"] = new(
            """
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100,,,)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08, )
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,,,, TypeStatic, DenseTranslation)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000,,,, AddressRangeMemory, TypeStatic)
                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite,
                    0x0, 0x100000000, 0x1FFFFFFFF, 0x0, 0x100000000,,,, AddressRangeMemory, TypeStatic)
                Memory32Fixed (ReadWrite, 0xFED00000, 0x00000400, )
                IRQNoFlags () {8}
                IRQ (Level, ActiveLow, Shared, ) {5,7}
                IRQ (Edge, ActiveHigh, Exclusive, ) {4}
                Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, ) {0x20}
            })
            """,
            Bytes.Of("""
                08 '_CRS' 11 46 09 0A 92
                88 0D 00 02 0C 00  00 00  00 00  FF 00  00 00  00 01
                47 01 F8 0C F8 0C 01 08
                88 0D 00 01 0C 03  00 00  00 0D  FF FF  00 00  00 F3
                87 17 00 00 0C 01  00 00 00 00  00 00 00 C0  FF FF BF FE  00 00 00 00  00 00 C0 3E
                8A 2B 00 00 0C 07  00 00 00 00 00 00 00 00  00 00 00 00 01 00 00 00
                                   FF FF FF FF 01 00 00 00  00 00 00 00 00 00 00 00
                                   00 00 00 00 01 00 00 00
                86 09 00 01 00 00 D0 FE 00 04 00 00
                22 00 01
                23 A0 00 18
                23 10 00 01
                89 06 00 01 01 20 00 00 00
                79 00
                """),
            [
                new AmlName("_CRS", new AmlResourceTemplate(
                    AddressSpaceDescriptor.WordBusNumber(0, 0xFF),
                    new IoDescriptor(0xCF8, 8),
                    AddressSpaceDescriptor.WordIo(0x0D00, 0xFFFF),
                    AddressSpaceDescriptor.DWordMemory(0xC000_0000, 0xFEBF_FFFF, AmlMemoryCaching.NonCacheable),
                    AddressSpaceDescriptor.QWordMemory(0x1_0000_0000, 0x1_FFFF_FFFF, AmlMemoryCaching.Prefetchable),
                    new Memory32FixedDescriptor(0xFED0_0000, 0x400),
                    IrqDescriptor.NoFlags(8),
                    new IrqDescriptor(AmlInterruptTrigger.Level, AmlInterruptPolarity.ActiveLow, shared: true, 5, 7),
                    new IrqDescriptor(AmlInterruptTrigger.Edge, AmlInterruptPolarity.ActiveHigh, shared: false, 4),
                    new InterruptDescriptor(AmlInterruptTrigger.Level, AmlInterruptPolarity.ActiveHigh, shared: false, 0x20))),
            ]);

        // --- _DSM helper (§9.1.1): function 0 mask 0x61 = bits 0, 5, 6. The method's content
        // is 64 bytes, so its PkgLength (66) just needs the 2-byte form: 42 04. ---
        cases["Dsm"] = new(
            """
            Method (_DSM, 4, NotSerialized)
            {
                If (LEqual (Arg0, ToUUID ("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66")))
                {
                    If (LEqual (Arg2, Zero))
                    {
                        Return (Buffer (One) { 0x61 })
                    }
                    If (LEqual (Arg2, 0x05))
                    {
                        Return (0x15)
                    }
                    If (LEqual (Arg2, 0x06))
                    {
                        Return (0x16)
                    }
                    Return (Zero)
                }
                Return (Buffer (One) { 0x00 })
            }
            """,
            Bytes.Of("""
                14 42 04 '_DSM' 04
                    A0 35 93 68 11 13 0A 10 A0 40 EB C4 D2 6C E2 11 BC FD 08 00 20 0C 9A 66
                        A0 09 93 6A 00 A4 11 03 01 61
                        A0 08 93 6A 0A 05 A4 0A 15
                        A0 08 93 6A 0A 06 A4 0A 16
                        A4 00
                    A4 11 03 01 00
                """),
            [
                new AmlDsm(new AmlDsmInterface("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66",
                    new AmlDsmFunction(5, new AmlReturn(I(0x15))),
                    new AmlDsmFunction(6, new AmlReturn(I(0x16))))),
            ]);

        // --- Method-body terms ---
        cases["StoreLocalsArgs"] = new(
            """
            Store (Arg0, Local0)
            Local1 = 0x05
            Local7 = Arg6
            Debug = Local0
            """,
            Bytes.Of("70 68 60  70 0A 05 61  70 6E 67  70 60 5B 31"),
            [
                new AmlStore(s_arg0, s_local0),
                new AmlStore(I(5), s_local1),
                new AmlStore(new AmlArg(6), new AmlLocal(7)),
                new AmlStore(s_local0, AmlDebug.Instance),
            ],
            InMethod: true);
        cases["BinaryOperators"] = new(
            """
            Add (Arg0, Arg1, Local2)
            Subtract (Arg0, One, Local2)
            Multiply (Arg0, 0x03, Local2)
            ShiftLeft (Arg0, 0x04, Local2)
            ShiftRight (Arg0, 0x04, Local2)
            And (Arg0, 0xFF, Local2)
            Nand (Arg0, Arg1, Local2)
            Or (Arg0, 0x0100, Local2)
            Nor (Arg0, Arg1, Local2)
            Xor (Arg0, Arg1, Local2)
            Mod (Arg0, 0x0A, Local2)
            Concatenate (Arg0, Arg1, Local2)
            Store (Add (Arg0, One), Local3)
            """,
            Bytes.Of("""
                72 68 69 62
                74 68 01 62
                77 68 0A 03 62
                79 68 0A 04 62
                7A 68 0A 04 62
                7B 68 0A FF 62
                7C 68 69 62
                7D 68 0B 00 01 62
                7E 68 69 62
                7F 68 69 62
                85 68 0A 0A 62
                73 68 69 62
                70 72 68 01 00 63
                """),
            [
                new AmlBinary(AmlBinaryOperator.Add, s_arg0, s_arg1, s_local2),
                new AmlBinary(AmlBinaryOperator.Subtract, s_arg0, AmlInteger.One, s_local2),
                new AmlBinary(AmlBinaryOperator.Multiply, s_arg0, I(3), s_local2),
                new AmlBinary(AmlBinaryOperator.ShiftLeft, s_arg0, I(4), s_local2),
                new AmlBinary(AmlBinaryOperator.ShiftRight, s_arg0, I(4), s_local2),
                new AmlBinary(AmlBinaryOperator.And, s_arg0, I(0xFF), s_local2),
                new AmlBinary(AmlBinaryOperator.Nand, s_arg0, s_arg1, s_local2),
                new AmlBinary(AmlBinaryOperator.Or, s_arg0, I(0x100), s_local2),
                new AmlBinary(AmlBinaryOperator.Nor, s_arg0, s_arg1, s_local2),
                new AmlBinary(AmlBinaryOperator.Xor, s_arg0, s_arg1, s_local2),
                new AmlBinary(AmlBinaryOperator.Mod, s_arg0, I(10), s_local2),
                new AmlBinary(AmlBinaryOperator.Concatenate, s_arg0, s_arg1, s_local2),
                new AmlStore(new AmlBinary(AmlBinaryOperator.Add, s_arg0, AmlInteger.One), s_local3),
            ],
            InMethod: true);
        cases["LogicalOperators"] = new(
            """
            Store (LAnd (Arg0, Arg1), Local0)
            Store (LOr (Arg0, Arg1), Local0)
            Store (LEqual (Arg0, Arg1), Local0)
            Store (LGreater (Arg0, Arg1), Local0)
            Store (LLess (Arg0, Arg1), Local0)
            Store (LNotEqual (Arg0, Arg1), Local0)
            Store (LGreaterEqual (Arg0, Arg1), Local0)
            Store (LLessEqual (Arg0, Arg1), Local0)
            Store (LNot (Arg0), Local0)
            """,
            Bytes.Of("""
                70 90 68 69 60
                70 91 68 69 60
                70 93 68 69 60
                70 94 68 69 60
                70 95 68 69 60
                70 92 93 68 69 60
                70 92 95 68 69 60
                70 92 94 68 69 60
                70 92 68 60
                """),
            [
                .. new[]
                {
                    AmlCompareOperator.LAnd, AmlCompareOperator.LOr, AmlCompareOperator.LEqual,
                    AmlCompareOperator.LGreater, AmlCompareOperator.LLess, AmlCompareOperator.LNotEqual,
                    AmlCompareOperator.LGreaterEqual, AmlCompareOperator.LLessEqual,
                }.Select(op => new AmlStore(new AmlCompare(op, s_arg0, s_arg1), s_local0)),
                new AmlStore(new AmlUnary(AmlUnaryOperator.LNot, s_arg0), s_local0),
            ],
            InMethod: true);
        cases["UnaryIndexCreateField"] = new(
            """
            Local0 = Zero
            Increment (Local0)
            Decrement (Local0)
            Not (Arg0, Local1)
            Store (SizeOf (Arg0), Local2)
            Store (DerefOf (Index (Arg0, One)), Local3)
            Index (Arg0, 0x02, Local4)
            Store (ObjectType (Arg0), Local5)
            Store (RefOf (Local0), Local6)
            CreateDWordField (Arg1, 0x04, CDW2)
            CreateWordField (Arg1, 0x02, CW01)
            CreateByteField (Arg1, One, CB01)
            CreateQWordField (Arg1, 0x08, CQ01)
            CreateBitField (Arg1, 0x03, CBT1)
            """,
            Bytes.Of("""
                70 00 60
                75 60
                76 60
                80 68 61
                70 87 68 62
                70 83 88 68 01 00 63
                88 68 0A 02 64
                70 8E 68 65
                70 71 60 66
                8A 69 0A 04 'CDW2'
                8B 69 0A 02 'CW01'
                8C 69 01 'CB01'
                8F 69 0A 08 'CQ01'
                8D 69 0A 03 'CBT1'
                """),
            [
                new AmlStore(AmlInteger.Zero, s_local0),
                new AmlUnary(AmlUnaryOperator.Increment, s_local0),
                new AmlUnary(AmlUnaryOperator.Decrement, s_local0),
                new AmlNot(s_arg0, s_local1),
                new AmlStore(new AmlUnary(AmlUnaryOperator.SizeOf, s_arg0), s_local2),
                new AmlStore(new AmlUnary(AmlUnaryOperator.DerefOf, new AmlIndex(s_arg0, AmlInteger.One)), s_local3),
                new AmlIndex(s_arg0, I(2), new AmlLocal(4)),
                new AmlStore(new AmlUnary(AmlUnaryOperator.ObjectType, s_arg0), new AmlLocal(5)),
                new AmlStore(new AmlUnary(AmlUnaryOperator.RefOf, s_local0), new AmlLocal(6)),
                new AmlCreateField(AmlCreateFieldKind.DWord, s_arg1, I(4), "CDW2"),
                new AmlCreateField(AmlCreateFieldKind.Word, s_arg1, I(2), "CW01"),
                new AmlCreateField(AmlCreateFieldKind.Byte, s_arg1, AmlInteger.One, "CB01"),
                new AmlCreateField(AmlCreateFieldKind.QWord, s_arg1, I(8), "CQ01"),
                new AmlCreateField(AmlCreateFieldKind.Bit, s_arg1, I(3), "CBT1"),
            ],
            InMethod: true);
        cases["IfElseWhile"] = new(
            """
            If (LEqual (Arg0, Zero))
            {
                Local0 = One
            }
            ElseIf (LEqual (Arg0, One))
            {
                Local0 = 0x02
            }
            Else
            {
                Local0 = 0x03
            }
            While (LLess (Local0, 0x10))
            {
                Increment (Local0)
                If (LEqual (Local0, 0x08))
                {
                    Break
                }
            }
            Return (Local0)
            """,
            Bytes.Of("""
                A0 07 93 68 00 70 01 60
                A1 10 A0 08 93 68 01 70 0A 02 60 A1 05 70 0A 03 60
                A2 0E 95 60 0A 10 75 60 A0 06 93 60 0A 08 A5
                A4 60
                """),
            [
                new AmlIf(Eq(s_arg0, AmlInteger.Zero), new AmlStore(AmlInteger.One, s_local0))
                {
                    Else = [new AmlIf(Eq(s_arg0, AmlInteger.One), new AmlStore(I(2), s_local0)) { Else = [new AmlStore(I(3), s_local0)] }],
                },
                new AmlWhile(new AmlCompare(AmlCompareOperator.LLess, s_local0, I(0x10)),
                    new AmlUnary(AmlUnaryOperator.Increment, s_local0),
                    new AmlIf(Eq(s_local0, I(8)), AmlBreak.Instance)),
                new AmlReturn(s_local0),
            ],
            InMethod: true);
        cases["NotifyMutexCall"] = new(
            """
            Notify (\_SB.DEV0, 0x80)
            Local0 = Acquire (MTX0, 0x03E8)
            Release (MTX0)
            MTH2 (Arg0, One)
            """,
            Bytes.Of("""
                86 5C 2E '_SB_' 'DEV0' 0A 80
                70 5B 23 'MTX0' E8 03 60
                5B 27 'MTX0'
                'MTH2' 68 01
                """),
            [
                new AmlNotify(new AmlPath("\\_SB.DEV0"), I(0x80)),
                new AmlStore(new AmlAcquire("MTX0", 1000), s_local0),
                new AmlRelease("MTX0"),
                new AmlMethodCall("MTH2", s_arg0, AmlInteger.One),
            ],
            InMethod: true,
            Support: """
                Scope (\_SB) { Device (DEV0) { Name (_ADR, Zero) } }
                Mutex (MTX0, 0x00)
                Method (MTH2, 2, NotSerialized) { Return (Arg1) }
                """);

        return cases;
    }
}
