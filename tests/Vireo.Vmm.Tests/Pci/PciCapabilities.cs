using Vireo.Pci;

namespace Vireo.Vmm.Tests;

/// <summary>Finds a capability the way a guest does: along the list from the Capabilities Pointer.</summary>
internal static class PciCapabilities
{
    /// <summary>The config offset of the first capability <paramref name="id"/>, or 0; a looping
    /// list ends after 48 entries, as Linux's PCI_FIND_CAP_TTL.</summary>
    public static int Find(IPciFunction fn, byte id)
    {
        int at = ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset) & 0xfc;
        for (int i = 0; i < 48 && at != 0; i++)
        {
            if (ReadConfig8(fn, at) == id)
            {
                return at;
            }
            at = ReadConfig8(fn, at + 1) & 0xfc;
        }
        return 0;
    }

    private static byte ReadConfig8(IPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[1];
        fn.ReadConfig(offset, data);
        return data[0];
    }
}
