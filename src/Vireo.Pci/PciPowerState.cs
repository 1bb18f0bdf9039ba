namespace Vireo.Pci;

/// <summary>PMCSR PowerState field (PCI Bus Power Management Interface 1.2 §3.2.4).</summary>
public enum PciPowerState
{
    /// <summary>Fully on.</summary>
    D0 = 0,
    /// <summary>Light sleep; Vireo's PM capability does not offer it.</summary>
    D1 = 1,
    /// <summary>Deeper sleep; Vireo's PM capability does not offer it.</summary>
    D2 = 2,
    /// <summary>Off with power still applied; config space stays reachable.</summary>
    D3Hot = 3,
}
