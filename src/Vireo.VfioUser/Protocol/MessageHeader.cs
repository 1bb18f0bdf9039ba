using System.Buffers.Binary;

namespace Vireo.VfioUser;

/// <summary>The 16-byte header in front of every message (vfio-user.rst "Header"); msg_size
/// counts the header too.</summary>
public readonly record struct MessageHeader(ushort MessageId, VfioUserCommand Command, uint MessageSize, MessageFlags Flags, uint Error)
{
    public const int Size = 16;

    public bool IsReply => (Flags & MessageFlags.TypeMask) == MessageFlags.Reply;

    public bool IsCommand => (Flags & MessageFlags.TypeMask) == MessageFlags.Command;

    public bool IsError => (Flags & MessageFlags.Error) != 0;

    public bool NoReply => (Flags & MessageFlags.NoReply) != 0;

    public int PayloadSize => (int)(MessageSize - Size);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, MessageId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)Command);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], MessageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Error);
    }

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
