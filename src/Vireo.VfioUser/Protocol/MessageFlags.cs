namespace Vireo.VfioUser;

/// <summary>Header flags (vfio-user.rst "Header"): bits 0-3 type, bit 4 No_reply, bit 5 Error.</summary>
[Flags]
public enum MessageFlags : uint
{
    Command = 0,
    Reply = 1,
    TypeMask = 0xf,
    NoReply = 0x10,
    Error = 0x20,
}
