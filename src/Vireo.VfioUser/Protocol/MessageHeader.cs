using System.Buffers.Binary;

namespace Vireo.VfioUser;

/// <summary>The 16-byte header in front of every message (vfio-user.rst "Header"); msg_size
/// counts the header too.</summary>
public readonly record struct MessageHeader(ushort MessageId, VfioUserCommand Command, uint MessageSize, MessageFlags Flags, uint Error)
{
    /// <summary>The header's size on the wire.</summary>
    public const int Size = 16;

    /// <summary>Whether the message is a reply.</summary>
    public bool IsReply => (Flags & MessageFlags.TypeMask) == MessageFlags.Reply;

    /// <summary>Whether the message is a command.</summary>
    public bool IsCommand => (Flags & MessageFlags.TypeMask) == MessageFlags.Command;

    /// <summary>Whether the reply reports failure, with the errno in <see cref="Error"/>.</summary>
    public bool IsError => (Flags & MessageFlags.Error) != 0;

    /// <summary>Whether the command's sender wants no reply.</summary>
    public bool NoReply => (Flags & MessageFlags.NoReply) != 0;

    /// <summary>The payload's size: <see cref="MessageSize"/> less the header.</summary>
    public int PayloadSize => (int)(MessageSize - Size);

    /// <summary>Writes the header, little-endian, into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, MessageId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)Command);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], MessageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Error);
    }

    /// <summary>Reads a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    /// <exception cref="VfioUserException"><paramref name="source"/> is shorter than a header (EINVAL).</exception>
    public static MessageHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, "truncated header");
        }
        return new MessageHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(source),
            (VfioUserCommand)BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            (MessageFlags)BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
    }
}
