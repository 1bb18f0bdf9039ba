using System.Runtime.CompilerServices;
using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

/// <summary>Every kernel struct, request number and constant of Vireo.Vfio against gcc's reading
/// of the host's linux/vfio.h and linux/iommufd.h.</summary>
public sealed class VfioAbiLayoutTests : IClassFixture<VfioAbiOracles>
{
    private readonly VfioAbiOracles _oracles;

    public VfioAbiLayoutTests(VfioAbiOracles oracles)
    {
        _oracles = oracles;
    }

    public static TheoryData<string> ExactStructs() => new(VfioAbi.Exact.Select(l => l.CType));

    public static TheoryData<string> PrefixStructs() => new(VfioAbi.Prefix.Select(l => l.CType));

    public static TheoryData<string> IommufdExactStructs() => new(VfioAbi.IommufdExact.Select(l => l.CType));

    public static TheoryData<string> IommufdPrefixStructs() => new(VfioAbi.IommufdPrefix.Select(l => l.CType));

    public static TheoryData<string> IoctlNames() => new(VfioAbi.Ioctls.Select(i => i.Macro));

    public static TheoryData<string> IommufdIoctlNames() => new(VfioAbi.IommufdIoctls.Select(i => i.Macro));

    public static TheoryData<string> ConstantNames() => new(VfioAbi.Constants.Select(c => c.Macro));

    public static TheoryData<string> IommufdConstantNames() => new(VfioAbi.IommufdConstants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(ExactStructs))]
    public void Struct_matches_the_C_layout(string cType)
        => AssertExact(_oracles.Vfio, VfioAbi.Exact.Single(l => l.CType == cType));

    [GccTheory]
    [MemberData(nameof(PrefixStructs))]
    public void Extensible_struct_is_a_prefix_of_the_C_layout(string cType)
        => AssertPrefix(_oracles.Vfio, VfioAbi.Prefix.Single(l => l.CType == cType));

    [IommufdTheory]
    [MemberData(nameof(IommufdExactStructs))]
    public void Iommufd_struct_matches_the_C_layout(string cType)
        => AssertExact(_oracles.Iommufd, VfioAbi.IommufdExact.Single(l => l.CType == cType));

    [IommufdTheory]
    [MemberData(nameof(IommufdPrefixStructs))]
    public void Extensible_cdev_struct_is_a_prefix_of_the_C_layout(string cType)
        => AssertPrefix(_oracles.Iommufd, VfioAbi.IommufdPrefix.Single(l => l.CType == cType));

    [GccTheory]
    [MemberData(nameof(IoctlNames))]
    public void Ioctl_number_matches_the_C_macro(string macro)
        => Assert.Equal(_oracles.Vfio.Macro(macro), (ulong)VfioAbi.Ioctls.Single(i => i.Macro == macro).Value);

    [IommufdTheory]
    [MemberData(nameof(IommufdIoctlNames))]
    public void Iommufd_ioctl_number_matches_the_C_macro(string macro)
        => Assert.Equal(_oracles.Iommufd.Macro(macro), (ulong)VfioAbi.IommufdIoctls.Single(i => i.Macro == macro).Value);

    [GccTheory]
    [MemberData(nameof(ConstantNames))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(_oracles.Vfio.Macro(macro), VfioAbi.Constants.Single(c => c.Macro == macro).Value);

    [IommufdTheory]
    [MemberData(nameof(IommufdConstantNames))]
    public void Iommufd_constant_matches_the_C_macro(string macro)
        => Assert.Equal(_oracles.Iommufd.Macro(macro), VfioAbi.IommufdConstants.Single(c => c.Macro == macro).Value);

    [Fact]
    public void Request_numbers_are_IO_of_the_semicolon_type_from_base_100()
    {
        // _IO(';', 100 + n): no direction, no size, type 0x3B in bits 8-15.
        Assert.Equal((nuint)0x3B64, VfioIoctls.GetApiVersion);
        Assert.Equal((nuint)0x3B6A, VfioIoctls.GroupGetDeviceFd);
        Assert.Equal((nuint)0x3B75, VfioIoctls.DeviceFeature);
        Assert.Equal((nuint)0x3B76, VfioIoctls.DeviceBindIommufd);
        Assert.Equal((nuint)0x3B85, VfioIoctls.IommuIoasMap);
    }

    [Fact]
    public void Structs_sent_with_argsz_are_the_sizes_the_kernels_minsz_checks_expect()
    {
        // The kernel rejects argsz below offsetofend of the last field it requires.
        Assert.Equal(16, Unsafe.SizeOf<VfioDeviceInfoAbi>());
        Assert.Equal(16, Unsafe.SizeOf<VfioDeviceBindIommufd>());
        Assert.Equal(12, Unsafe.SizeOf<VfioDeviceAttachIommufdPt>());
        Assert.Equal(20, Unsafe.SizeOf<VfioIrqSetHeader>());
        Assert.Equal(8, Unsafe.SizeOf<VfioDeviceFeatureHeader>());
    }

    private static void AssertExact(CLayoutOracle oracle, CStructLayout layout)
    {
        IReadOnlyList<string> problems = oracle.Compare(layout);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void AssertPrefix(CLayoutOracle oracle, CStructLayout layout)
    {
        var problems = new List<string>();
        int end = 0;
        foreach (CFieldLayout field in layout.Fields)
        {
            ulong offset = oracle.OffsetOf(layout.CType, field.CMember);
            ulong size = oracle.SizeOfMember(layout.CType, field.CMember);
            if (offset != (ulong)field.ManagedOffset || size != (ulong)field.ManagedSize!)
            {
                problems.Add($"{layout.CType}.{field.CMember} is at {offset} ({size} bytes), {field.ManagedName} at {field.ManagedOffset} ({field.ManagedSize} bytes)");
            }
            end = Math.Max(end, field.ManagedOffset + field.ManagedSize!.Value);
        }
        if (end != layout.ManagedSize)
        {
            problems.Add($"{layout.ManagedName} is {layout.ManagedSize} bytes but its fields end at {end}");
        }
        if (oracle.SizeOf(layout.CType) < (ulong)layout.ManagedSize)
        {
            problems.Add($"sizeof({layout.CType}) = {oracle.SizeOf(layout.CType)} is smaller than {layout.ManagedName} ({layout.ManagedSize})");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
