namespace Vireo.Pci;

/// <summary>PMCSR PowerState field (PCI Bus Power Management Interface 1.2 §3.2.4).</summary>
public enum PciPowerState
{
    D0 = 0,
    D1 = 1,
    D2 = 2,
    D3Hot = 3,
}
