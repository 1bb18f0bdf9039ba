using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vireo.TestSupport;

namespace Vireo.VfioUser.Tests;

/// <summary>The linux/vfio.h numbers and layouts the vfio-user messages reuse, against gcc's
/// reading of the host header. vfio-user carries DMA logging ranges and the report bitmap inline
/// where the kernel structs hold pointers, so those offsets are where the inline data starts.</summary>
public sealed class VfioAbiLayoutTests
{
    private const string Control = "struct vfio_device_feature_dma_logging_control";
    private const string Range = "struct vfio_device_feature_dma_logging_range";
    private const string Report = "struct vfio_device_feature_dma_logging_report";

    private static readonly (string Macro, ulong Value)[] Constants =
    [
        ("VFIO_DEVICE_FEATURE_DMA_LOGGING_START", (ulong)DeviceFeatureId.DmaLoggingStart),
        ("VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP", (ulong)DeviceFeatureId.DmaLoggingStop),
        ("VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT", (ulong)DeviceFeatureId.DmaLoggingReport),
        ("VFIO_DEVICE_FEATURE_MASK", (ulong)DeviceFeatureFlags.FeatureMask),
        ("VFIO_DEVICE_FEATURE_GET", (ulong)DeviceFeatureFlags.Get),
        ("VFIO_DEVICE_FEATURE_SET", (ulong)DeviceFeatureFlags.Set),
        ("VFIO_DEVICE_FEATURE_PROBE", (ulong)DeviceFeatureFlags.Probe),
        ("VFIO_IRQ_INFO_EVENTFD", (ulong)IrqInfoFlags.EventFd),
        ("VFIO_IRQ_INFO_MASKABLE", (ulong)IrqInfoFlags.Maskable),
        ("VFIO_IRQ_INFO_AUTOMASKED", (ulong)IrqInfoFlags.AutoMasked),
        ("VFIO_IRQ_SET_DATA_EVENTFD", (ulong)IrqSetFlags.DataEventFd),
        ("VFIO_IRQ_SET_ACTION_MASK", (ulong)IrqSetFlags.ActionMask),
        ("VFIO_IRQ_SET_ACTION_UNMASK", (ulong)IrqSetFlags.ActionUnmask),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["linux/vfio.h"],
        Layouts(),
        Constants.Select(c => c.Macro)));


    private static CStructLayout[] Layouts() =>
    [
        CStructLayout.Of<KernelControl>(Control)
            .Field("page_size", (ref KernelControl s) => ref s.PageSize)
            .Field("num_ranges", (ref KernelControl s) => ref s.NumRanges)
            .Field("__reserved", (ref KernelControl s) => ref s.Reserved)
            .Field("ranges", (ref KernelControl s) => ref s.Ranges),
        CStructLayout.Of<KernelRange>(Range)
            .Field("iova", (ref KernelRange s) => ref s.Iova)
            .Field("length", (ref KernelRange s) => ref s.Length),
        CStructLayout.Of<KernelReport>(Report)
            .Field("iova", (ref KernelReport s) => ref s.Iova)
            .Field("length", (ref KernelReport s) => ref s.Length)
            .Field("page_size", (ref KernelReport s) => ref s.PageSize)
            .Field("bitmap", (ref KernelReport s) => ref s.Bitmap),
    ];

    public static TheoryData<string> Macros() => new(Constants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(Macros))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), Constants.Single(c => c.Macro == macro).Value);

    [GccTheory]
    [InlineData(Control)]
    [InlineData(Range)]
    [InlineData(Report)]
    public void Mirror_struct_matches_the_C_layout(string cType)
    {
        CStructLayout layout = Layouts().Single(l => l.CType == cType);
        IReadOnlyList<string> problems = s_oracle.Value.Compare(layout);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccFact]
    public void Control_encoding_puts_each_field_where_the_kernel_struct_has_it()
    {
        CLayoutOracle c = s_oracle.Value;
        byte[] bytes = new DmaLoggingControl(0x1122334455667788, [new DmaLoggingRange(0xaaaa000, 0xbbbb000)]).ToArray();
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)c.OffsetOf(Control, "page_size"))));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)c.OffsetOf(Control, "num_ranges"))));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)c.OffsetOf(Control, "__reserved"))));
        int ranges = (int)c.OffsetOf(Control, "ranges");
        Assert.Equal(DmaLoggingControl.HeaderLength, ranges);
        Assert.Equal(0xaaaa000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(ranges + (int)c.OffsetOf(Range, "iova"))));
        Assert.Equal(0xbbbb000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(ranges + (int)c.OffsetOf(Range, "length"))));
        Assert.Equal(DmaLoggingRange.Size, (int)c.SizeOf(Range));
        Assert.Equal(ranges + (int)c.SizeOf(Range), bytes.Length);
    }

    [GccFact]
    public void Report_encoding_puts_each_field_where_the_kernel_struct_has_it()
    {
        CLayoutOracle c = s_oracle.Value;
        byte[] bytes = new DmaLoggingReport(0x100000, 0x4000, 0x1000, [0x5]).ToArray();
        Assert.Equal(0x100000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)c.OffsetOf(Report, "iova"))));
        Assert.Equal(0x4000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)c.OffsetOf(Report, "length"))));
        Assert.Equal(0x1000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)c.OffsetOf(Report, "page_size"))));
        int bitmap = (int)c.OffsetOf(Report, "bitmap");
        Assert.Equal(DmaLoggingReport.HeaderLength, bitmap);
        Assert.Equal(0x5UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bitmap)));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KernelControl
    {
        public ulong PageSize;
        public uint NumRanges;
        public uint Reserved;
        public ulong Ranges;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KernelRange
    {
        public ulong Iova;
        public ulong Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KernelReport
    {
        public ulong Iova;
        public ulong Length;
        public ulong PageSize;
        public ulong Bitmap;
    }
}
