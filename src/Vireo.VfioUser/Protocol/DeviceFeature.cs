namespace Vireo.VfioUser;

/// <summary>struct vfio_user_device_feature (vfio-user.rst "VFIO_USER_DEVICE_FEATURE"): argsz,
/// flags (feature index and GET/SET/PROBE), then the feature's data.</summary>
public readonly record struct DeviceFeature(uint Argsz, DeviceFeatureFlags Flags, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 8;

    /// <summary>The feature named in the low 16 bits of <see cref="Flags"/>.</summary>
    public DeviceFeatureId Feature => (DeviceFeatureId)(Flags & DeviceFeatureFlags.FeatureMask);

    /// <summary>The GET/SET/PROBE bits of <see cref="Flags"/>.</summary>
    public DeviceFeatureFlags Operations => Flags & ~DeviceFeatureFlags.FeatureMask;

    /// <summary>A request for <paramref name="feature"/> with <paramref name="operations"/> and <paramref name="data"/>; argsz covers the data.</summary>
    /// <param name="feature">The feature.</param>
    /// <param name="operations">GET, SET or PROBE bits.</param>
    /// <param name="data">The feature's data.</param>
    public static DeviceFeature Create(DeviceFeatureId feature, DeviceFeatureFlags operations, ReadOnlyMemory<byte> data = default)
        => new((uint)(Length + data.Length), (DeviceFeatureFlags)(ushort)feature | operations, data);

    /// <summary>A GET that leaves room for <paramref name="replyData"/> bytes of answer.</summary>
    public static DeviceFeature Get(DeviceFeatureId feature, int replyData)
        => new((uint)(Length + replyData), (DeviceFeatureFlags)(ushort)feature | DeviceFeatureFlags.Get, ReadOnlyMemory<byte>.Empty);

    /// <inheritdoc/>
    public int EncodedLength => Length + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.Bytes(Data.Span);
    }

    /// <summary>Parses a received DeviceFeature.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static DeviceFeature Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (DeviceFeatureFlags)reader.U32();
        return new DeviceFeature(argsz, flags, reader.Rest().ToArray());
    }
}
