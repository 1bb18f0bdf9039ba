using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The console device's configuration space and constants against gcc's reading of
/// linux/virtio_console.h.</summary>
public sealed class VirtioConsoleLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<VirtioConsoleConfig>("struct virtio_console_config")
            .Field("cols", (ref VirtioConsoleConfig c) => ref c.Columns)
            .Field("rows", (ref VirtioConsoleConfig c) => ref c.Rows)
            .Field("max_nr_ports", (ref VirtioConsoleConfig c) => ref c.MaxPorts)
            .Field("emerg_wr", (ref VirtioConsoleConfig c) => ref c.EmergencyWrite),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("VIRTIO_ID_CONSOLE", VirtioConsole.ConsoleDeviceType),
        ("VIRTIO_CONSOLE_F_SIZE", Bit(VirtioConsole.FeatureSize)),
        ("VIRTIO_CONSOLE_F_MULTIPORT", Bit(VirtioConsole.FeatureMultiport)),
        ("VIRTIO_CONSOLE_F_EMERG_WRITE", Bit(VirtioConsole.FeatureEmergencyWrite)),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["stdint.h", "linux/virtio_ids.h", "linux/virtio_console.h"], s_layouts, s_constants.Select(c => c.Macro)));

    // Feature constants are masks; the header names bit numbers.
    private static ulong Bit(ulong mask) => (ulong)System.Numerics.BitOperations.TrailingZeroCount(mask);

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    public static TheoryData<string> Macros() => new(s_constants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        IReadOnlyList<string> problems = s_oracle.Value.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccTheory]
    [MemberData(nameof(Macros))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), s_constants.Single(c => c.Macro == macro).Value);

    [Fact]
    public void Size_and_the_emergency_write_offset_are_the_specs()
    {
        Assert.Equal(VirtioConsoleConfig.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioConsoleConfig>());
        Assert.Equal(VirtioConsoleConfig.EmergencyWriteOffset, (int)System.Runtime.InteropServices.Marshal.OffsetOf<VirtioConsoleConfig>(nameof(VirtioConsoleConfig.EmergencyWrite)));
    }
}
