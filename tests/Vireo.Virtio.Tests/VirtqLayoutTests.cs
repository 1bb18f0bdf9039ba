using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The ring structs against gcc's reading of linux/virtio_ring.h.</summary>
public sealed class VirtqLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<VirtqDescriptor>("struct vring_desc")
            .Field("addr", (ref VirtqDescriptor d) => ref d.Address)
            .Field("len", (ref VirtqDescriptor d) => ref d.Length)
            .Field("flags", (ref VirtqDescriptor d) => ref d.Flags)
            .Field("next", (ref VirtqDescriptor d) => ref d.Next),
        CStructLayout.Of<VirtqUsedElement>("struct vring_used_elem")
            .Field("id", (ref VirtqUsedElement e) => ref e.Id)
            .Field("len", (ref VirtqUsedElement e) => ref e.Length),
    ];

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        CLayoutOracle oracle = CLayoutOracle.Run(["stdint.h", "linux/virtio_ring.h"], s_layouts, []);

        IReadOnlyList<string> problems = oracle.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Sizes_are_the_specs()
    {
        Assert.Equal(VirtqDescriptor.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtqDescriptor>());
        Assert.Equal(VirtqUsedElement.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtqUsedElement>());
    }
}
