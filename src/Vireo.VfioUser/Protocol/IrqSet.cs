namespace Vireo.VfioUser;

/// <summary>struct vfio_irq_set (linux/vfio.h; vfio-user.rst "VFIO_USER_DEVICE_SET_IRQS"):
/// argsz, flags, index, start, count, then a bool per vector for DATA_BOOL. Eventfds for
/// DATA_EVENTFD travel as SCM_RIGHTS, not in the data.</summary>
public readonly record struct IrqSet(IrqSetFlags Flags, uint Index, uint Start, uint Count, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 20;

    /// <inheritdoc/>
    public int EncodedLength => Length + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32((uint)EncodedLength);
        writer.U32((uint)Flags);
        writer.U32(Index);
        writer.U32(Start);
        writer.U32(Count);
        writer.Bytes(Data.Span);
    }

    /// <summary>Parses a received IrqSet.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static IrqSet Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (IrqSetFlags)reader.U32();
        uint index = reader.U32();
        uint start = reader.U32();
        uint count = reader.U32();
        if (argsz < Length || argsz > payload.Length)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"SET_IRQS argsz {argsz} does not match payload {payload.Length}");
        }
        byte[] data = payload[Length..(int)argsz].ToArray();
        return new IrqSet(flags, index, start, count, data);
    }
}
