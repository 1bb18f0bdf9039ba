using Vireo.Sys;

namespace Vireo.Memory;

/// <summary>An access outside guest RAM, or a range that wraps the address space.</summary>
public sealed class GuestMemoryException : VireoException
{
    /// <summary>
    /// An access of <paramref name="length"/> bytes at <paramref name="address"/> that failed for
    /// <paramref name="reason"/> (a phrase such as "is outside guest RAM").
    /// </summary>
    public GuestMemoryException(GuestAddress address, ulong length, string reason)
        : base($"guest memory access at {address} (+0x{length:x}) {reason}")
    {
        Address = address;
        Length = length;
    }

    /// <summary>The first guest address of the rejected access.</summary>
    public GuestAddress Address { get; }

    /// <summary>The length of the rejected access in bytes.</summary>
    public ulong Length { get; }
}
