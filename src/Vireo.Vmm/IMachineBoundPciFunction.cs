using Vireo.Pci;

namespace Vireo.Vmm;

/// <summary>
/// A PCI function that needs the running machine, not only the bus: a device in another process
/// (vfio-user) or behind kernel VFIO signals interrupts through KVM and reaches guest RAM. The
/// machine builder binds it once it has its slot, before the first vCPU runs, and unbinds it
/// when that machine is disposed; a reboot binds the same object to the next machine.
/// </summary>
public interface IMachineBoundPciFunction : IPciFunction
{
    /// <summary>Where the function lives, for <c>vm.info</c>: "vfio-user", "vfio", "virtio", "emulated".</summary>
    string Backend { get; }

    /// <summary>True if the function's device must reach guest RAM through a shared mapping
    /// (the machine then backs RAM with a memfd instead of anonymous memory).</summary>
    bool NeedsSharedMemory { get; }

    /// <summary>How the guest has the function's interrupts set up now: "msix", "msi", "intx" or
    /// "none"; for <c>vm.info</c>.</summary>
    string InterruptMode { get; }

    /// <summary>False once the device is gone (its server died or stalled): its BARs then read
    /// all-ones and writes are dropped.</summary>
    bool IsAlive { get; }

    /// <summary>Connects the function to <paramref name="host"/>'s machine. Throws a
    /// <see cref="Sys.VireoException"/> naming the device if it cannot (the build then fails).</summary>
    void Bind(PciFunctionHost host);

    /// <summary>Releases what <see cref="Bind"/> took from the machine (irqfds, DMA mappings,
    /// memory slots); the device itself stays open for the next machine. Never throws.</summary>
    void Unbind();
}
