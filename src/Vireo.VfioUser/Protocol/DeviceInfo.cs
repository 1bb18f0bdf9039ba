namespace Vireo.VfioUser;

/// <summary>struct vfio_user_device_info (vfio-user.rst "VFIO_USER_DEVICE_GET_INFO"): argsz 16,
/// flags, num_regions, num_irqs. The request carries the same struct, zero but for argsz.</summary>
public readonly record struct DeviceInfo(uint Argsz, DeviceInfoFlags Flags, uint NumRegions, uint NumIrqs) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 16;

    /// <summary>The DEVICE_GET_INFO request: argsz 16, everything else zero.</summary>
    public static DeviceInfo Request => new(Length, DeviceInfoFlags.None, 0, 0);

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.U32(NumRegions);
        writer.U32(NumIrqs);
    }

    /// <summary>Parses a received DeviceInfo.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static DeviceInfo Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return new DeviceInfo(reader.U32(), (DeviceInfoFlags)reader.U32(), reader.U32(), reader.U32());
    }
}
