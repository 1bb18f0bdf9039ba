namespace Vireo.VfioUser;

/// <summary>struct vfio_user_device_feature (vfio-user.rst "VFIO_USER_DEVICE_FEATURE"): argsz,
/// flags (feature index and GET/SET/PROBE), then the feature's data.</summary>
public readonly record struct DeviceFeature(uint Argsz, DeviceFeatureFlags Flags, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    public const int Length = 8;

    public DeviceFeatureId Feature => (DeviceFeatureId)(Flags & DeviceFeatureFlags.FeatureMask);

    public DeviceFeatureFlags Operations => Flags & ~DeviceFeatureFlags.FeatureMask;

    public static DeviceFeature Create(DeviceFeatureId feature, DeviceFeatureFlags operations, ReadOnlyMemory<byte> data = default)
        => new((uint)(Length + data.Length), (DeviceFeatureFlags)(ushort)feature | operations, data);

    /// <summary>A GET that leaves room for <paramref name="replyData"/> bytes of answer.</summary>
    public static DeviceFeature Get(DeviceFeatureId feature, int replyData)
        => new((uint)(Length + replyData), (DeviceFeatureFlags)(ushort)feature | DeviceFeatureFlags.Get, ReadOnlyMemory<byte>.Empty);

    public int EncodedLength => Length + Data.Length;

    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.Bytes(Data.Span);
    }

    public static DeviceFeature Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (DeviceFeatureFlags)reader.U32();
        return new DeviceFeature(argsz, flags, reader.Rest().ToArray());
    }
}
