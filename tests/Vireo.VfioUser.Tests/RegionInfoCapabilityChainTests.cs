using System.Buffers.Binary;

namespace Vireo.VfioUser.Tests;

/// <summary>The kernel's VFIO_DEVICE_GET_REGION_INFO answers carry capabilities vfio-user servers
/// rarely send: TYPE (2) on device-specific regions and MSIX_MAPPABLE (3, a bare header) on the
/// MSI-X BAR. The kernel backend decodes its answers with <see cref="RegionInfo.Decode"/>, so
/// those must be stepped over, not refused, and a sparse-mmap capability after them still found.</summary>
public sealed class RegionInfoCapabilityChainTests
{
    [Fact]
    public void Type_and_msix_mappable_capabilities_are_skipped_and_the_sparse_areas_after_them_found()
    {
        byte[] reply = new byte[88];
        Header(reply, argsz: 88, flags: RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap | RegionInfoFlags.Caps, index: 9, capOffset: 32);
        Cap(reply, at: 32, id: 2, next: 48); // VFIO_REGION_INFO_CAP_TYPE: u32 type, u32 subtype
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(40), 0x80008086);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(44), 1);
        Cap(reply, at: 48, id: 3, next: 56); // VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: no body
        Cap(reply, at: 56, id: RegionInfo.SparseMmapCapId, next: 0);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(64), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(72), 0x2000);
        BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(80), 0x1000);

        RegionInfo info = RegionInfo.Decode(reply);

        Assert.Equal(9u, info.Index);
        Assert.Equal(0x4000UL, info.Size);
        Assert.Equal(0x90000000000UL, info.Offset);
        Assert.Equal([new SparseMmapArea(0x2000, 0x1000)], info.SparseAreas!);
    }

    [Fact]
    public void An_msix_mappable_capability_alone_leaves_the_whole_region_mappable()
    {
        byte[] reply = new byte[40];
        Header(reply, argsz: 40, flags: RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap | RegionInfoFlags.Caps, index: 0, capOffset: 32);
        Cap(reply, at: 32, id: 3, next: 0);

        RegionInfo info = RegionInfo.Decode(reply);

        Assert.Null(info.SparseAreas);
        Assert.Equal(0x4000UL, info.Size);
    }

    [Fact]
    public void A_reply_that_asks_for_more_room_has_no_capability_offset_and_decodes_without_areas()
    {
        // The kernel's answer to a 32-byte argsz when caps need more: argsz grows, cap_offset 0.
        byte[] reply = new byte[32];
        Header(reply, argsz: 88, flags: RegionInfoFlags.Read | RegionInfoFlags.Caps, index: 2, capOffset: 0);

        RegionInfo info = RegionInfo.Decode(reply);

        Assert.Equal(88u, info.Argsz);
        Assert.Null(info.SparseAreas);
    }

    private static void Header(byte[] reply, uint argsz, RegionInfoFlags flags, uint index, uint capOffset)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(0), argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(4), (uint)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(8), index);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(12), capOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(16), 0x4000);
        BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(24), 0x90000000000);
    }

    private static void Cap(byte[] reply, int at, ushort id, uint next)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(at), id);
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(at + 2), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(at + 4), next);
    }
}
