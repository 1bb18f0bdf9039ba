using Vireo.TestSupport;
using Vireo.Acpi;

namespace Vireo.Devices.Tests;

public sealed class AcpiPmAmlTests
{
    // Name (\_S0, Package (0x04) { Zero, Zero, Zero, Zero })
    // Name (\_S5, Package (0x04) { 0x07, 0x07, Zero, Zero })
    private const string SleepStatesAsl = """
        Name (\_S0, Package (0x04) { Zero, Zero, Zero, Zero })
        Name (\_S5, Package (0x04) { 0x07, 0x07, Zero, Zero })
        """;

    private static readonly byte[] s_sleepStates =
    [
        0x08, 0x5C, (byte)'_', (byte)'S', (byte)'0', (byte)'_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x5C, (byte)'_', (byte)'S', (byte)'5', (byte)'_', 0x12, 0x08, 0x04, 0x0A, 0x07, 0x0A, 0x07, 0x00, 0x00,
    ];

    // Scope (\_GPE)
    // {
    //     OperationRegion (GR07, SystemIO, 0x0640, One)
    //     Field (GR07, ByteAcc, NoLock, Preserve) { GC07, 8 }
    //     Method (_E07, 0, NotSerialized) { Notify (\_SB.PCI0.D01, GC07) }
    // }
    private const string GpeFromPortAsl = """
        Scope (\_GPE)
        {
            OperationRegion (GR07, SystemIO, 0x0640, One)
            Field (GR07, ByteAcc, NoLock, Preserve) { GC07, 8 }
            Method (_E07, 0, NotSerialized) { Notify (\_SB.PCI0.D01, GC07) }
        }
        """;

    // Scope (\_GPE) { Method (_L3F, 0, NotSerialized) { Notify (\_SB.PCI0.D01, 0x80) } }
    private const string GpeWithCodeAsl = """
        Scope (\_GPE) { Method (_L3F, 0, NotSerialized) { Notify (\_SB.PCI0.D01, 0x80) } }
        """;

    private const string NotifiedDeviceAsl = """
        Scope (\_SB) { Device (PCI0) { Device (D01) { Name (_ADR, Zero) } } }
        """;

    [Fact]
    public void SleepStatePackagesRenderTheDevicesSleepTypes()
    {
        using var pm = new AcpiPmDevice(new RecordingInterruptLine());
        Assert.Equal(Convert.ToHexString(s_sleepStates), Convert.ToHexString(AmlSink.Render(pm)));
        Assert.Equal(7, AcpiPmDevice.S5SleepType);
        Assert.Equal(0, AcpiPmDevice.S0SleepType);
    }

    [AcpicaFact]
    public void SleepStatePackagesMatchIasl()
    {
        using var pm = new AcpiPmDevice(new RecordingInterruptLine());
        Assert.Equal(Convert.ToHexString(Acpica.CompileBody(SleepStatesAsl)), Convert.ToHexString(AmlSink.Render(pm)));
    }

    [AcpicaFact]
    public void GpeMethodReadingItsCodeFromAPortMatchesIasl()
    {
        byte[] mine = AmlSink.Render(GpeNotifyMethod.ReadingCodeFrom(7, GpeTrigger.Edge, "\\_SB.PCI0.D01", 0x640));
        byte[] iasl = Acpica.CompileBody(GpeFromPortAsl + "\n" + NotifiedDeviceAsl);
        Assert.Equal(Convert.ToHexString(iasl.AsSpan(0, mine.Length)), Convert.ToHexString(mine));
    }

    [AcpicaFact]
    public void GpeMethodWithAFixedCodeMatchesIasl()
    {
        byte[] mine = AmlSink.Render(GpeNotifyMethod.WithCode(0x3F, GpeTrigger.Level, "\\_SB.PCI0.D01", 0x80));
        byte[] iasl = Acpica.CompileBody(GpeWithCodeAsl + "\n" + NotifiedDeviceAsl);
        Assert.Equal(Convert.ToHexString(iasl.AsSpan(0, mine.Length)), Convert.ToHexString(mine));
    }

    [Theory]
    [InlineData(0, GpeTrigger.Edge, "_E00")]
    [InlineData(0x1A, GpeTrigger.Level, "_L1A")]
    [InlineData(0xFF, GpeTrigger.Edge, "_EFF")]
    public void GpeMethodsAreNamedByTriggerAndHexNumber(int gpe, GpeTrigger trigger, string name)
    {
        Assert.Equal(name, GpeNotifyMethod.WithCode(gpe, trigger, "\\DEV", 0x80).MethodName);
    }

    [Fact]
    public void GpeMethodsRejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GpeNotifyMethod.WithCode(-1, GpeTrigger.Edge, "\\DEV", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GpeNotifyMethod.WithCode(0x100, GpeTrigger.Edge, "\\DEV", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GpeNotifyMethod.WithCode(0, (GpeTrigger)7, "\\DEV", 0));
        // Relative to \_GPE would be the wrong device.
        Assert.Throws<ArgumentException>(() => GpeNotifyMethod.ReadingCodeFrom(0, GpeTrigger.Edge, "DEV", 0x640));
    }
}
