using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Acpi;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Devices.Tests.PowerManagement;

public sealed class LowPowerIdleAmlTests
{
    private const ushort Port = 0x630;

    // What LowPowerIdleDevice(0x630) renders. Function 0 masks: Intel 0x7B (0,1,3,4,5,6),
    // AMD 0x3F (0-5), Microsoft 0x0181 (0,7,8).
    private const string DeviceAsl = """
        Scope (\_SB)
        {
            Device (LPS0)
            {
                Name (_HID, "VIRE0001")
                Name (_CID, EisaId ("PNP0D80"))
                Name (_STA, 0x0F)
                OperationRegion (LPSR, SystemIO, 0x0630, One)
                Field (LPSR, ByteAcc, NoLock, Preserve) { LPSC, 8 }
                Method (_DSM, 4, NotSerialized)
                {
                    If ((Arg0 == ToUUID ("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66")))
                    {
                        If ((Arg2 == Zero)) { Return (Buffer (One) { 0x7B }) }
                        If ((Arg2 == One)) { Return (Package (0x00) {}) }
                        If ((Arg2 == 0x03)) { LPSC = 0x11 }
                        If ((Arg2 == 0x04)) { LPSC = 0x12 }
                        If ((Arg2 == 0x05)) { LPSC = 0x13 }
                        If ((Arg2 == 0x06)) { LPSC = 0x14 }
                        Return (Zero)
                    }
                    If ((Arg0 == ToUUID ("e3f32452-febc-43ce-9039-932122d37721")))
                    {
                        If ((Arg2 == Zero)) { Return (Buffer (One) { 0x3F }) }
                        If ((Arg2 == One)) { Return (Package (0x00) {}) }
                        If ((Arg2 == 0x02)) { LPSC = 0x23 }
                        If ((Arg2 == 0x03)) { LPSC = 0x24 }
                        If ((Arg2 == 0x04)) { LPSC = 0x21 }
                        If ((Arg2 == 0x05)) { LPSC = 0x22 }
                        Return (Zero)
                    }
                    If ((Arg0 == ToUUID ("11e00d56-ce64-47ce-837b-1f898f9aa461")))
                    {
                        If ((Arg2 == Zero)) { Return (Buffer (0x02) { 0x81, 0x01 }) }
                        If ((Arg2 == 0x07)) { LPSC = 0x35 }
                        If ((Arg2 == 0x08)) { LPSC = 0x36 }
                        Return (Zero)
                    }
                    Return (Buffer (One) { 0x00 })
                }
            }
        }
        """;

    private static byte[] Rendered() => AmlSink.Render(new LowPowerIdleDevice(new PioAddress(Port)));

    [Fact]
    public void TheDeviceCarriesItsIdsAndPort()
    {
        string hex = Convert.ToHexString(Rendered());
        // Name (_HID, "VIRE0001"): NameOp, "_HID", StringPrefix, ASCII, NUL.
        Assert.Contains("085F4849440D5649524530303031" + "00", hex, StringComparison.Ordinal);
        // Name (_CID, EisaId ("PNP0D80")): DWordPrefix 0x800DD041.
        Assert.Contains("085F4349440C41D00D80", hex, StringComparison.Ordinal);
        // Name (_STA, 0x0F)
        Assert.Contains("085F5354410A0F", hex, StringComparison.Ordinal);
        // OperationRegion (LPSR, SystemIO, 0x0630, One)
        Assert.Contains("5B804C505352010B300601", hex, StringComparison.Ordinal);
        // Field (LPSR, ByteAcc, NoLock, Preserve) { LPSC, 8 }
        Assert.Contains("5B810B4C505352014C50534308", hex, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x11)]
    [InlineData(0x12)]
    [InlineData(0x13)]
    [InlineData(0x14)]
    [InlineData(0x21)]
    [InlineData(0x22)]
    [InlineData(0x23)]
    [InlineData(0x24)]
    [InlineData(0x35)]
    [InlineData(0x36)]
    public void EachTrapFunctionStoresItsCode(byte code)
    {
        // LPSC = code: StoreOp, BytePrefix code, "LPSC".
        Assert.Contains($"700A{code:X2}4C505343", Convert.ToHexString(Rendered()), StringComparison.Ordinal);
    }

    [AcpicaFact]
    public void TheDeviceMatchesIasl()
    {
        Assert.Equal(Convert.ToHexString(Acpica.CompileBody(DeviceAsl)), Convert.ToHexString(Rendered()));
    }

    [AcpicaFact]
    public void IaslDisassemblesAndRecompilesTheDeviceUnchanged()
    {
        byte[] table = new Dsdt(new LowPowerIdleDevice(new PioAddress(Port))).ToBytes();
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile("DSDT", table);
        Assert.Contains("PNP0D80", dsl, StringComparison.Ordinal);
        Acpica.AssertSameBody(table, recompiled);
        Assert.Equal(Convert.ToHexString(table.AsSpan(36)), Convert.ToHexString(recompiled.AsSpan(36)));
    }

    [AcpicaFact]
    public void AcpiexecFindsThePredefinedObjectsWellFormed()
    {
        string log = Acpica.Exec("test predefined", ("dsdt", Table()));
        foreach (string name in new[] { "_HID", "_CID", "_STA", "_DSM" })
        {
            Assert.Matches($@"\\_SB\.LPS0\.{name}\s+returned AE_OK", log);
        }
    }

    // UUID, revision, function, expected return, expected port write.
    private static readonly (string Uuid, int Revision, int Function, string Result, int? Write)[] s_calls =
    [
        ("intel", 1, 0, "[Buffer] Length 01 =     0000: 7B", null),
        ("intel", 1, 1, "[Package] Contains 0 Elements:", null),
        ("intel", 1, 2, "[Integer] = 0000000000000000", null),
        ("intel", 1, 3, "[Integer] = 0000000000000000", 0x11),
        ("intel", 1, 4, "[Integer] = 0000000000000000", 0x12),
        ("intel", 1, 5, "[Integer] = 0000000000000000", 0x13),
        ("intel", 1, 6, "[Integer] = 0000000000000000", 0x14),
        ("intel", 1, 7, "[Integer] = 0000000000000000", null),
        ("amd", 0, 0, "[Buffer] Length 01 =     0000: 3F", null),
        ("amd", 0, 1, "[Package] Contains 0 Elements:", null),
        ("amd", 0, 2, "[Integer] = 0000000000000000", 0x23),
        ("amd", 0, 3, "[Integer] = 0000000000000000", 0x24),
        ("amd", 0, 4, "[Integer] = 0000000000000000", 0x21),
        ("amd", 0, 5, "[Integer] = 0000000000000000", 0x22),
        ("amd", 0, 6, "[Integer] = 0000000000000000", null),
        ("microsoft", 0, 0, "[Buffer] Length 02 =     0000: 81 01", null),
        ("microsoft", 0, 3, "[Integer] = 0000000000000000", null),
        ("microsoft", 0, 5, "[Integer] = 0000000000000000", null),
        ("microsoft", 0, 7, "[Integer] = 0000000000000000", 0x35),
        ("microsoft", 0, 8, "[Integer] = 0000000000000000", 0x36),
        ("microsoft", 0, 9, "[Integer] = 0000000000000000", null),
        ("other", 0, 0, "[Buffer] Length 01 =     0000: 00", null),
        ("other", 0, 5, "[Buffer] Length 01 =     0000: 00", null),
    ];

    [AcpicaFact]
    public void AcpiexecEvaluatesEveryFunctionOfEveryUuid()
    {
        var calls = s_calls;
        List<(string Result, List<byte> Writes)> evaluations = Evaluations(Exec(calls.Select(c => Evaluate(UuidNamed(c.Uuid), c.Revision, c.Function))));

        Assert.Equal(calls.Length, evaluations.Count);
        for (int i = 0; i < calls.Length; i++)
        {
            (string uuid, _, int function, string result, int? write) = calls[i];
            string what = $"{uuid} function {function}";
            Assert.True(evaluations[i].Result == result, $"{what} returned '{evaluations[i].Result}', expected '{result}'");
            Assert.True(write is null ? evaluations[i].Writes.Count == 0 : evaluations[i].Writes.SequenceEqual([(byte)write.Value]),
                $"{what} wrote [{string.Join(", ", evaluations[i].Writes.Select(b => $"0x{b:X2}"))}]");
        }
    }

    public static TheoryData<bool, bool> LinuxPaths => new() { { false, true }, { false, false }, { true, true }, { true, false } };

    /// <summary>Plays Linux's suspend and resume _DSM sequence, per vendor and kernel generation,
    /// against the device in acpiexec: each path makes exactly one LPS0 entry and one exit call,
    /// the entry last (Intel) or followed only by Microsoft's sleep entry (AMD).</summary>
    [AcpicaTheory]
    [MemberData(nameof(LinuxPaths))]
    public void LinuxTrapsOneEntryAsLateAsItCallsAndOneExit(bool amd, bool currentKernel)
    {
        Guid[] validated = LinuxLps0Model.Validated(amd, currentKernel);
        string maskLog = Exec(validated.Select(u => Evaluate(u, LinuxLps0Model.Revision(u), 0)));
        var masks = new Dictionary<Guid, int>();
        foreach ((Guid uuid, (string result, _)) in validated.Zip(Evaluations(maskLog)))
        {
            masks[uuid] = MaskOf(result);
        }

        List<(Guid Uuid, int Function)> entry = LinuxLps0Model.EntryCalls(amd, currentKernel, masks);
        List<(Guid Uuid, int Function)> exit = LinuxLps0Model.ExitCalls(amd, currentKernel, masks);
        string log = Exec(entry.Concat(exit).Select(c => Evaluate(c.Uuid, LinuxLps0Model.Revision(c.Uuid), c.Function)));
        List<LowPowerIdleEvent> traps = Evaluations(log).SelectMany(e => e.Writes).Select(Decode).ToList();
        List<LowPowerIdleEvent> entryTraps = traps[..entry.Count];
        List<LowPowerIdleEvent> exitTraps = traps[entry.Count..];

        // Every call the model makes traps (no function is offered without its store).
        Assert.Equal(entry.Count + exit.Count, traps.Count);
        LowPowerIdleFamily vendor = amd ? LowPowerIdleFamily.Amd : LowPowerIdleFamily.Intel;
        Assert.Equal([new LowPowerIdleEvent(vendor, LowPowerIdleFunction.Entry)], entryTraps.Where(t => t.Function == LowPowerIdleFunction.Entry));
        Assert.Equal([new LowPowerIdleEvent(vendor, LowPowerIdleFunction.Exit)], exitTraps.Where(t => t.Function == LowPowerIdleFunction.Exit));
        Assert.Empty(traps.Where(t => t.Function == LowPowerIdleFunction.Entry).Skip(1));
        Assert.Empty(traps.Where(t => t.Function == LowPowerIdleFunction.Exit).Skip(1));
        int entryAt = entryTraps.FindIndex(t => t.Function == LowPowerIdleFunction.Entry);
        Assert.All(entryTraps[(entryAt + 1)..], t => Assert.Equal(LowPowerIdleFunction.SleepEntry, t.Function));
        int exitAt = exitTraps.FindIndex(t => t.Function == LowPowerIdleFunction.Exit);
        Assert.All(exitTraps[..exitAt], t => Assert.Equal(LowPowerIdleFunction.SleepExit, t.Function));
        if (!amd)
        {
            Assert.Equal(LowPowerIdleFunction.Entry, entryTraps[^1].Function);
        }
        Assert.Contains(entryTraps, t => t.Function == LowPowerIdleFunction.DisplayOff);
        Assert.Contains(exitTraps, t => t.Function == LowPowerIdleFunction.DisplayOn);
        // Function 0 of the vendor UUID validated, and Microsoft's did where Linux reads it.
        Assert.All(masks.Values, m => Assert.True(m > 0));
    }

    private static byte[] Table() => new Dsdt(new LowPowerIdleDevice(new PioAddress(Port))).ToBytes();

    /// <summary>Runs the commands in order, in as many acpiexec invocations as its 1023-character
    /// command line needs, and joins the logs.</summary>
    private static string Exec(IEnumerable<string> commands)
    {
        const int MaxBatch = 1000;
        var logs = new List<string>();
        var batch = new List<string>();
        foreach (string command in commands)
        {
            if (batch.Count > 0 && batch.Sum(c => c.Length + 1) + command.Length > MaxBatch)
            {
                logs.Add(Acpica.Exec(string.Join(';', batch), ("dsdt", Table())));
                batch.Clear();
            }
            batch.Add(command);
        }
        if (batch.Count > 0)
        {
            logs.Add(Acpica.Exec(string.Join(';', batch), ("dsdt", Table())));
        }
        return string.Join('\n', logs);
    }

    private static Guid UuidNamed(string name) => name switch
    {
        "intel" => LinuxLps0Model.Intel,
        "amd" => LinuxLps0Model.Amd,
        "microsoft" => LinuxLps0Model.Microsoft,
        _ => new Guid("00112233-4455-6677-8899-aabbccddeeff"),
    };

    private static string Evaluate(Guid uuid, int revision, int function)
    {
        byte[] bytes = new byte[16];
        uuid.TryWriteBytes(bytes);
        // RECIPE.md §3: integers are decimal unless 0x; the empty package needs its space.
        return $"evaluate \\_SB.LPS0._DSM ({string.Join(' ', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))}) 0x{revision:x} 0x{function:x} [ ]";
    }

    /// <summary>Per evaluation, in order: the first line of the returned object, and the bytes
    /// written to the trap port (RECIPE.md §3 (a): the access line, then its value line).</summary>
    private static List<(string Result, List<byte> Writes)> Evaluations(string log)
    {
        Assert.DoesNotContain("[READ] Region [SystemIO:1]", log, StringComparison.Ordinal);
        var write = new Regex($@"\[WRITE\] Region \[SystemIO:1\], Width 1, ByteBase 0, Offset 0 at 0*{Port:X}\s*\n.*Value Written 0*([0-9A-F]{{1,2}}), Width 1");
        var result = new Regex(@"Evaluation of \\_SB\.LPS0\._DSM returned object [^\n]*\n\s*([^\n]*?)\s*(\n|$)");
        return log.Split("Evaluating \\_SB.LPS0._DSM").Skip(1).Select(part =>
        {
            Match r = result.Match(part);
            Assert.True(r.Success, $"no return value in:\n{part}");
            var writes = write.Matches(part).Select(m => byte.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList();
            // A buffer's line ends in an ASCII rendering after "//".
            string value = r.Groups[1].Value;
            int comment = value.IndexOf("//", StringComparison.Ordinal);
            return ((comment < 0 ? value : value[..comment]).TrimEnd(), writes);
        }).ToList();
    }

    private static int MaskOf(string bufferLine)
    {
        Match m = Regex.Match(bufferLine, @"\[Buffer\] Length 0(\d) =\s+0000: ((?:[0-9A-F]{2} ?)+)");
        Assert.True(m.Success, bufferLine);
        byte[] bytes = m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        Assert.InRange(bytes.Length, 1, 4); // validate_dsm rejects longer buffers
        int mask = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            mask |= bytes[i] << (8 * i);
        }
        return mask;
    }

    private static LowPowerIdleEvent Decode(byte code)
    {
        Assert.True(LowPowerIdleEvent.TryDecode(code, out LowPowerIdleEvent e), $"0x{code:X2} is no code");
        return e;
    }
}
