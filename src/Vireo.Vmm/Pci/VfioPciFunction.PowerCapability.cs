using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.VfioUser;

namespace Vireo.Vmm;

// A virtual PCI Power Management capability for a device that has none (QEMU's edu, many simple
// functions), held in the config shadow, so that a stock Linux guest powers the device off
// through its slot's ACPI power resource. What Linux (6.1, the lab's guest) needs, and where:
// - drivers/pci/pci.c pci_pm_init(): without a capability that pci_find_capability(PCI_CAP_ID_PM)
//   finds (walked from 0x34 when Status bit 4 is set), it returns before it sets pm_cap and
//   d3cold_allowed = true; a PMC version above 3 returns there too.
// - drivers/pci/pci-acpi.c acpi_pci_choose_state(): with !d3cold_allowed (or no_d3cold) the
//   deepest state it lets the ACPI core pick is D3hot, so pci_target_state() and with it
//   pci_finish_runtime_suspend() ask for D3hot: _PS3 runs and the power resource stays on.
//   (The d3cold_allowed test there is Linux 6.7's, backported to the stable kernels.)
// - pci_set_power_state(D3cold) first puts the function in D3hot the native way
//   (pci_set_low_power_state: PMCSR PowerState, needs pm_cap, reads the state back and only
//   logs a refusal), then pci_platform_power_transition(D3cold) runs _PS3 and the resource's
//   _OFF. Back to D0, pci_power_up() runs _ON/_PS0 and writes PMCSR D0; with No_Soft_Reset set
//   it does not restore the BARs by itself (the runtime resume restores config space anyway).
// - pci_dev_run_wake() is false without PME_Support (pme_support 0), so a runtime suspend arms
//   no wake. A device that offers LOW_POWER_ENTRY_WITH_WAKEUP can wake, through the platform:
//   its wake eventfd becomes the slot's ACPI wake GPE (_PRW), which is how Linux resumes a
//   device in D3cold (pci_acpi_wake_dev: pci_wakeup_event and a runtime resume; the PME bits
//   are not read in D3cold). Such a device gets PME_Support from D3hot and D3cold, so the
//   guest arms the wake (_DSW, PME_En) when it suspends it; the device itself never sends a
//   PME message, so PME_Status stays 0.
public sealed partial class VfioPciFunction
{
    // PCI PM 1.2 §3.2: ID, Next, PMC (16 bits), PMCSR (16 bits), PMCSR_BSE, Data: 8 bytes.
    private const int PowerManagementLength = 8;
    private const int PmcOffset = 2;
    private const int PmcsrOffset = 4;
    // PCI PM 1.2 §3.2.3 PMC: Version 011b (this specification); no D1, D2, DSI or aux current;
    // PME_Support (bits 15:11) from D3hot (bit 14) and D3cold (bit 15) for a device that can wake.
    private const ushort PmcVersion12 = 0x0003;
    private const ushort PmcPmeFromD3 = 0xc000;
    // PCI PM 1.2 §3.2.4 PMCSR: bits 1:0 PowerState; bit 3 No_Soft_Reset (D3hot to D0 keeps the
    // function's state); bit 8 PME_En, writable with PME_Support, else hardwired 0; PME_Status
    // (bit 15) 0, as no PME message is ever sent.
    private const byte PowerStateMask = 0x03;
    private const byte PmcsrNoSoftReset = 0x08;
    private const byte PmcsrPmeEnable = 0x01; // bit 8, in PMCSR's second byte

    /// <summary>Whether the virtual capability offers PME_Support (the device can wake).</summary>
    public bool VirtualPowerManagementWakes { get; private set; }
    // PCIe 6.0 §7.5.3: the PCI Express Capability structure is 60 bytes (0x3c) with its version 2 registers.
    private const byte PciExpressCapabilityId = 0x10;
    private const int PciExpressCapabilityLength = 0x3c;
    // PCI 3.0 §6.7 and PCI Code and ID Assignment §2: a vendor-specific capability's byte 2 is its length.
    private const byte VendorCapabilityId = 0x09;
    // How far past its start a capability of unknown size is taken to reach when no other one
    // follows it: a little over the largest fixed-size one in the first 256 bytes (PCI Express, 60).
    private const int UnknownCapabilityReach = 64;

    private readonly List<string> _warnings = [];

    /// <summary>Where the VMM's own PCI Power Management capability sits in the guest's config
    /// space (at the head of the capability list), for a device that has none; 0 when the device
    /// has its own, or no room was found for one (see <see cref="Warnings"/>). Its PMCSR is the
    /// VMM's alone: D0 and D3hot read back, and the device never sees it.</summary>
    public int VirtualPowerManagementOffset { get; private set; }

    /// <summary>What the VMM could not do for the device and the user should know, found when the
    /// device was opened; one sentence each, naming the device.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The lowest dword-aligned place for <paramref name="length"/> bytes in 0x40-0xff
    /// that no capability in <paramref name="capabilities"/> occupies and that the device reads as
    /// zero; 0 when there is none. A capability's extent is its known size (PM, MSI, MSI-X, PCI
    /// Express, vendor-specific by its length byte); one of any other kind is taken to reach the
    /// next capability above it, or <see cref="UnknownCapabilityReach"/> bytes when none follows.
    /// Zero bytes matter too: a device may keep registers outside its list.</summary>
    internal static int FindFreeCapabilitySpace(ReadOnlySpan<byte> header, IReadOnlyList<(int Offset, byte Id)> capabilities, int length)
    {
        Span<bool> taken = stackalloc bool[PciConfigSpace.StandardSize];
        foreach ((int at, byte id) in capabilities)
        {
            int end = at + (KnownCapabilityLength(header, at, id) ?? UnknownCapabilityExtent(capabilities, at));
            taken[at..Math.Min(end, PciConfigSpace.StandardSize)].Fill(true);
        }
        for (int at = FirstCapability; at + length <= PciConfigSpace.StandardSize; at += 4)
        {
            if (!taken.Slice(at, length).Contains(true) && !header.Slice(at, length).ContainsAnyExcept((byte)0))
            {
                return at;
            }
        }
        return 0;
    }

    private static int? KnownCapabilityLength(ReadOnlySpan<byte> header, int at, byte id) => id switch
    {
        PciConfigSpace.PowerManagementCapabilityId => PowerManagementLength,
        PciConfigSpace.MsiCapabilityId => MsiLength(BinaryPrimitives.ReadUInt16LittleEndian(header[(at + 2)..])),
        PciConfigSpace.MsixCapabilityId => MsixCapabilityLength,
        PciExpressCapabilityId => PciExpressCapabilityLength,
        VendorCapabilityId when header[at + 2] >= 3 => header[at + 2],
        _ => null,
    };

    private static int UnknownCapabilityExtent(IReadOnlyList<(int Offset, byte Id)> capabilities, int at)
    {
        int next = capabilities.Where(c => c.Offset > at).Select(c => c.Offset).DefaultIfEmpty(0).Min();
        return next != 0 ? next - at : UnknownCapabilityReach;
    }

    /// <summary>At open: a device without a PM capability gets the VMM's own where there is
    /// room, or a warning where there is none.</summary>
    private void PlanPowerManagement(byte[] header, List<(int Offset, byte Id)> capabilities)
    {
        if (capabilities.Exists(c => c.Id == PciConfigSpace.PowerManagementCapabilityId))
        {
            return;
        }
        VirtualPowerManagementOffset = FindFreeCapabilitySpace(header, capabilities, PowerManagementLength);
        VirtualPowerManagementWakes = VirtualPowerManagementOffset != 0 && Probe(DeviceFeatureId.LowPowerEntryWithWakeup);
        if (VirtualPowerManagementOffset == 0)
        {
            _warnings.Add(
                $"{Backend} device '{Id}' has no PCI power management capability and its config space has no room for Vireo's " +
                $"({PowerManagementLength} zero bytes, dword-aligned, in 0x40-0xff outside its capabilities): " +
                "a Linux guest will not power it off through its slot (runtime PM stops at D3hot)");
        }
    }

    /// <summary>Puts the virtual capability in the shadow in its reset state (D0) and at the head
    /// of the list: the Capabilities Pointer points to it, its Next to the device's first
    /// capability (0 without a list), and Status reads Capabilities List set whatever the device
    /// says, while the rest of Status is still the device's.</summary>
    private void ShadowVirtualPowerManagement(byte[] header)
    {
        int at = VirtualPowerManagementOffset;
        bool hasList = (BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(PciConfigSpace.StatusOffset)) & StatusCapabilityList) != 0;
        for (int i = at; i < at + PowerManagementLength; i++)
        {
            _shadowed[i] = true;
            _virtual[i] = true;
            _shadow[i] = 0;
        }
        _shadow[at] = PciConfigSpace.PowerManagementCapabilityId;
        _shadow[at + 1] = hasList ? (byte)(header[PciConfigSpace.CapabilityPointerOffset] & 0xfc) : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(_shadow.AsSpan(at + PmcOffset), (ushort)(PmcVersion12 | (VirtualPowerManagementWakes ? PmcPmeFromD3 : 0)));
        _shadow[at + PmcsrOffset] = PmcsrNoSoftReset;

        _deviceCapabilityPointer = header[PciConfigSpace.CapabilityPointerOffset];
        _shadowed[PciConfigSpace.CapabilityPointerOffset] = true;
        _shadow[PciConfigSpace.CapabilityPointerOffset] = (byte)at;
        if (!hasList)
        {
            _readAsOne[PciConfigSpace.StatusOffset] = (byte)StatusCapabilityList;
        }
    }

    /// <summary>A guest write to a byte only the VMM has, under the lock: PMCSR PowerState takes
    /// D0 and D3hot, and ignores D1 and D2, which PMC does not offer (PCI PM 1.2 §3.2.4: such a
    /// write completes and changes nothing); PME_En is writable when PME_Support is offered;
    /// every other bit is read-only.</summary>
    private void WriteVirtual(int at, byte value)
    {
        if (at == VirtualPowerManagementOffset + PmcsrOffset + 1)
        {
            if (VirtualPowerManagementWakes)
            {
                _shadow[at] = (byte)((_shadow[at] & ~PmcsrPmeEnable) | (value & PmcsrPmeEnable));
            }
            return;
        }
        if (at != VirtualPowerManagementOffset + PmcsrOffset)
        {
            return;
        }
        int state = value & PowerStateMask;
        if (state is (int)PciPowerState.D0 or (int)PciPowerState.D3Hot)
        {
            _shadow[at] = (byte)((_shadow[at] & ~PowerStateMask) | state);
        }
    }
}
