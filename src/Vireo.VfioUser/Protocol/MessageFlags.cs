namespace Vireo.VfioUser;

/// <summary>Header flags (vfio-user.rst "Header"): bits 0-3 type, bit 4 No_reply, bit 5 Error.</summary>
[Flags]
public enum MessageFlags : uint
{
    /// <summary>Message type 0: a command.</summary>
    Command = 0,
    /// <summary>Message type 1: a reply to the command with the same message id.</summary>
    Reply = 1,
    /// <summary>The bits that hold the message type.</summary>
    TypeMask = 0xf,
    /// <summary>The sender of a command wants no reply.</summary>
    NoReply = 0x10,
    /// <summary>A reply that reports failure; the header's error field holds the errno.</summary>
    Error = 0x20,
}
