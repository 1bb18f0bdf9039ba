namespace Vireo.VfioUser;

/// <summary>struct vfio_user_device_info (vfio-user.rst "VFIO_USER_DEVICE_GET_INFO"): argsz 16,
/// flags, num_regions, num_irqs. The request carries the same struct, zero but for argsz.</summary>
public readonly record struct DeviceInfo(uint Argsz, DeviceInfoFlags Flags, uint NumRegions, uint NumIrqs) : IVfioUserPayload
{
    public const int Length = 16;

    public static DeviceInfo Request => new(Length, DeviceInfoFlags.None, 0, 0);

    public int EncodedLength => Length;

    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.U32(NumRegions);
        writer.U32(NumIrqs);
    }

    public static DeviceInfo Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return new DeviceInfo(reader.U32(), (DeviceInfoFlags)reader.U32(), reader.U32(), reader.U32());
    }
}
