using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Devices;

/// <summary>
/// Function 00.0 of the root bus, the host bridge itself (class 06 00 00): no BARs, no
/// interrupt, nothing to drive. Linux's type 1 probe needs a host bridge or VGA class somewhere
/// on bus 0 to trust CONFIG_ADDRESS (arch/x86/pci/direct.c pci_sanity_check).
/// </summary>
/// <remarks>
/// The ID is 1b36:0008, the "PCIe host bridge" of QEMU's generic host (docs/specs/pci-ids.rst),
/// which microvm and the arm virt machine expose: a generic virtual host bridge, so no Linux driver
/// binds it and no quirk matches it. QEMU q35's 8086:29c0 is a real chipset's ID (the G33/Q35 MCH)
/// that intel-agp and EDAC tables match, and its ECAM is found by the MCH's PCIEXBAR register,
/// which Vireo does not emulate.
/// </remarks>
internal sealed class PciHostBridgeFunction : IPciFunction
{
    public const ushort VendorId = 0x1b36;
    public const ushort DeviceId = 0x0008;
    // PCI Code and ID Assignment 1.11 §1.7: base class 06 (bridge), sub-class 00 (host), interface 00.
    public const uint ClassCode = 0x06_00_00;

    private readonly PciConfigSpace _config = new(VendorId, DeviceId, ClassCode);

    public string Id => "host-bridge";

    public IReadOnlyList<PciBarDescriptor> Bars => [];

    public int ConfigSize => PciConfigSpace.StandardSize;

    public void ReadConfig(int offset, Span<byte> data) => _config.Read(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _config.Write(offset, data);

    public void ReadBar(int index, ulong offset, Span<byte> data) => data.Fill(0xff);

    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
    }

    public MappedMemory MapArea(int index, PciMmapArea area) => throw new InvalidOperationException("the host bridge has no BARs");

    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
    }
}
