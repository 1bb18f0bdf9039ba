namespace Vireo.VfioUser;

/// <summary>struct vfio_irq_info (linux/vfio.h; vfio-user.rst "VFIO_USER_DEVICE_GET_IRQ_INFO"):
/// argsz 16, flags, index, count.</summary>
public readonly record struct IrqInfo(uint Argsz, IrqInfoFlags Flags, uint Index, uint Count) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 16;

    /// <summary>The DEVICE_GET_IRQ_INFO request for <paramref name="index"/>.</summary>
    public static IrqInfo Request(uint index) => new(Length, IrqInfoFlags.None, index, 0);

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.U32(Index);
        writer.U32(Count);
    }

    /// <summary>Parses a received IrqInfo.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static IrqInfo Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return new IrqInfo(reader.U32(), (IrqInfoFlags)reader.U32(), reader.U32(), reader.U32());
    }
}
