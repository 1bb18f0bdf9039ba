using Vireo.Sys;

namespace Vireo.Memory;

/// <summary>An access outside guest RAM, or a range that wraps the address space.</summary>
public sealed class GuestMemoryException : VireoException
{
    public GuestMemoryException(GuestAddress address, ulong length, string reason)
        : base($"guest memory access at {address} (+0x{length:x}) {reason}")
    {
        Address = address;
        Length = length;
    }

    public GuestAddress Address { get; }

    public ulong Length { get; }
}
