using System.Runtime.CompilerServices;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>A VM fd from KVM_CREATE_VM: memory slots, in-kernel interrupt controllers, irqfds,
/// ioeventfds, and the vCPUs.</summary>
public sealed partial class KvmVm : IDisposable
{
    private readonly SafeFd _fd;
    private readonly int _runSize;

    internal KvmVm(SafeFd fd, int runSize)
    {
        _fd = fd;
        _runSize = runSize;
    }

    /// <summary>The VM descriptor.</summary>
    public SafeFd Handle => _fd;

    /// <summary>KVM_CHECK_EXTENSION on the VM fd, which answers for this VM (e.g. KVM_CAP_XSAVE2).</summary>
    public int CheckExtension(KvmCapability capability)
        => Ioctl.Invoke(_fd, KvmIoctls.CheckExtension, (nint)capability, "KVM_CHECK_EXTENSION");

    /// <summary>
    /// The value of KVM_CHECK_EXTENSION(<paramref name="capability"/>) when it is nonzero;
    /// otherwise throws <see cref="KvmUnavailableException"/> saying that this host's KVM lacks it
    /// and what for (<paramref name="purpose"/>).
    /// </summary>
    public int RequireCapability(KvmCapability capability, string purpose)
    {
        int value = CheckExtension(capability);
        return value > 0
            ? value
            : throw new KvmUnavailableException($"this host's KVM lacks the {capability} capability (KVM_CAP number {(int)capability}), which {purpose} needs: use a host kernel that has it");
    }

    /// <summary>Bytes KVM_GET_XSAVE2 writes: KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2), or 4096 where
    /// the kernel predates it.</summary>
    public int XsaveSize => Math.Max(CheckExtension(KvmCapability.Xsave2), Unsafe.SizeOf<KvmXsave>());

    /// <summary>Maps <paramref name="size"/> bytes of host memory at <paramref name="hostAddress"/>
    /// into the guest at <paramref name="guestAddress"/>; size 0 deletes the slot. The caller keeps
    /// the host mapping alive while the slot exists.</summary>
    public void SetUserMemoryRegion(uint slot, GuestAddress guestAddress, ulong size, nint hostAddress, bool readOnly = false, bool logDirtyPages = false)
    {
        var region = new KvmUserspaceMemoryRegion
        {
            Slot = slot,
            Flags = (readOnly ? KvmConstants.MemReadOnly : 0) | (logDirtyPages ? KvmConstants.MemLogDirtyPages : 0),
            GuestPhysAddr = guestAddress.Value,
            MemorySize = size,
            UserspaceAddr = (ulong)hostAddress,
        };
        Ioctl.Invoke(_fd, KvmIoctls.SetUserMemoryRegion, ref region, "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>
    /// Deletes memory slot <paramref name="slot"/> (KVM_SET_USER_MEMORY_REGION with size 0); the
    /// host mapping may be freed afterwards.
    /// </summary>
    public void RemoveUserMemoryRegion(uint slot, GuestAddress guestAddress)
        => SetUserMemoryRegion(slot, guestAddress, 0, 0);

    /// <summary>KVM_SET_TSS_ADDR: three pages of guest-physical space Intel VMX needs for real mode.</summary>
    public void SetTssAddress(GuestAddress address)
        => Ioctl.Invoke(_fd, KvmIoctls.SetTssAddr, (nint)address.Value, "KVM_SET_TSS_ADDR");

    /// <summary>KVM_SET_IDENTITY_MAP_ADDR: one page for the identity page table Intel VMX uses in real mode.</summary>
    public void SetIdentityMapAddress(GuestAddress address)
    {
        ulong value = address.Value;
        Ioctl.Invoke(_fd, KvmIoctls.SetIdentityMapAddr, ref value, "KVM_SET_IDENTITY_MAP_ADDR");
    }

    /// <summary>KVM_CREATE_IRQCHIP: in-kernel PIC pair, IOAPIC and local APICs.</summary>
    public void CreateIrqchip() => Ioctl.Invoke(_fd, KvmIoctls.CreateIrqchip, 0, "KVM_CREATE_IRQCHIP");

    /// <summary>
    /// KVM_CREATE_PIT2: the in-kernel i8254 timer; <paramref name="flags"/> is kvm_pit_config.flags
    /// (KVM_PIT_SPEAKER_DUMMY = 1).
    /// </summary>
    public void CreatePit2(uint flags = 0)
    {
        var config = new KvmPitConfig { Flags = flags };
        Ioctl.Invoke(_fd, KvmIoctls.CreatePit2, ref config, "KVM_CREATE_PIT2");
    }

    /// <summary>KVM_IRQ_LINE: drives GSI <paramref name="irq"/> to <paramref name="level"/>; on arm64
    /// <paramref name="irq"/> is the packed field <see cref="KvmArmIrqLine.Spi"/> builds.</summary>
    public void SetIrqLine(uint irq, bool level)
    {
        var irqLevel = new KvmIrqLevel { Irq = irq, Level = level ? 1u : 0u };
        Ioctl.Invoke(_fd, KvmIoctls.IrqLine, ref irqLevel, "KVM_IRQ_LINE");
    }

    /// <summary>Makes a signal on <paramref name="eventFd"/> raise <paramref name="gsi"/>. With
    /// <paramref name="resample"/> the line is level-triggered: it stays raised until the guest's
    /// EOI, which signals <paramref name="resample"/>.</summary>
    public void RegisterIrqfd(EventFd eventFd, uint gsi, EventFd? resample = null)
        => Irqfd(eventFd, gsi, resample, resample is null ? 0 : KvmConstants.IrqfdFlagResample);

    /// <summary>
    /// Removes the irqfd binding of <paramref name="eventFd"/> to <paramref name="gsi"/>
    /// (KVM_IRQFD_FLAG_DEASSIGN).
    /// </summary>
    public void UnregisterIrqfd(EventFd eventFd, uint gsi)
        => Irqfd(eventFd, gsi, null, KvmConstants.IrqfdFlagDeassign);

    /// <summary>Makes a guest write of <paramref name="length"/> bytes to <paramref name="port"/>
    /// (equal to <paramref name="datamatch"/> when given) signal <paramref name="eventFd"/> in the
    /// kernel, without an exit to userspace.</summary>
    public void RegisterIoeventfd(EventFd eventFd, PioAddress port, uint length, ulong? datamatch = null)
        => Ioeventfd(eventFd, port.Value, length, datamatch, KvmConstants.IoeventfdFlagPio);

    /// <summary>
    /// As the port overload, for a guest write to MMIO <paramref name="address"/>.
    /// </summary>
    public void RegisterIoeventfd(EventFd eventFd, MmioAddress address, uint length, ulong? datamatch = null)
        => Ioeventfd(eventFd, address.Value, length, datamatch, 0);

    /// <summary>Removes an ioeventfd; the arguments must be those it was registered with.</summary>
    public void UnregisterIoeventfd(EventFd eventFd, PioAddress port, uint length, ulong? datamatch = null)
        => Ioeventfd(eventFd, port.Value, length, datamatch, KvmConstants.IoeventfdFlagPio | KvmConstants.IoeventfdFlagDeassign);

    /// <summary>
    /// Removes an MMIO ioeventfd; the arguments must be those it was registered with.
    /// </summary>
    public void UnregisterIoeventfd(EventFd eventFd, MmioAddress address, uint length, ulong? datamatch = null)
        => Ioeventfd(eventFd, address.Value, length, datamatch, KvmConstants.IoeventfdFlagDeassign);

    /// <summary>
    /// KVM_SET_GSI_ROUTING: replaces the whole GSI routing table with <paramref name="entries"/>,
    /// including the PIC/IOAPIC routes KVM_CREATE_IRQCHIP installed (a table without them leaves
    /// those GSIs unrouted). irqfds follow the new table at once. Throws <see cref="ErrnoException"/>
    /// naming the ioctl when KVM rejects an entry (EINVAL: a pin past the chip, a GSI past the
    /// capability's limit, a GSI routed twice to one chip).
    /// </summary>
    public void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> entries)
    {
        byte[] buffer = KvmBuffers.Build<KvmIrqRoutingHeader, KvmIrqRoutingEntry>(new KvmIrqRoutingHeader { Nr = (uint)entries.Length }, entries);
        Ioctl.Invoke(_fd, KvmIoctls.SetGsiRouting, buffer, "KVM_SET_GSI_ROUTING");
    }

    internal KvmIrqchip GetIrqchip(KvmIrqchipId chip)
    {
        var state = new KvmIrqchip { ChipId = chip };
        Ioctl.Invoke(_fd, KvmIoctls.GetIrqchip, ref state, "KVM_GET_IRQCHIP");
        return state;
    }

    internal void SetIrqchip(in KvmIrqchip state)
        => Ioctl.Invoke(_fd, KvmIoctls.SetIrqchip, ref Unsafe.AsRef(in state), "KVM_SET_IRQCHIP");

    internal KvmPitState2 GetPit2()
    {
        KvmPitState2 state = default;
        Ioctl.Invoke(_fd, KvmIoctls.GetPit2, ref state, "KVM_GET_PIT2");
        return state;
    }

    internal void SetPit2(in KvmPitState2 state)
        => Ioctl.Invoke(_fd, KvmIoctls.SetPit2, ref Unsafe.AsRef(in state), "KVM_SET_PIT2");

    internal KvmClockData GetClock()
    {
        KvmClockData clock = default;
        Ioctl.Invoke(_fd, KvmIoctls.GetClock, ref clock, "KVM_GET_CLOCK");
        return clock;
    }

    internal void SetClock(in KvmClockData clock)
        => Ioctl.Invoke(_fd, KvmIoctls.SetClock, ref Unsafe.AsRef(in clock), "KVM_SET_CLOCK");

    /// <summary>
    /// KVM_CREATE_VCPU with APIC id <paramref name="id"/>, and maps its kvm_run page.
    /// </summary>
    public KvmVcpu CreateVcpu(uint id)
    {
        int fd = Ioctl.Invoke(_fd, KvmIoctls.CreateVcpu, (nint)id, "KVM_CREATE_VCPU");
        return new KvmVcpu(SafeFd.FromOwned(fd), id, _runSize);
    }

    /// <summary>Closes the VM descriptor; KVM frees the VM once its vCPUs are closed too.</summary>
    public void Dispose() => _fd.Dispose();

    private void Irqfd(EventFd eventFd, uint gsi, EventFd? resample, uint flags)
    {
        bool added = false;
        bool resampleAdded = false;
        try
        {
            // The fd numbers go into the struct, so both handles stay referenced across the ioctl.
            eventFd.Handle.DangerousAddRef(ref added);
            resample?.Handle.DangerousAddRef(ref resampleAdded);
            var irqfd = new KvmIrqfd
            {
                Fd = (uint)eventFd.Handle.DangerousGetFd(),
                Gsi = gsi,
                Flags = flags,
                ResampleFd = resample is null ? 0 : (uint)resample.Handle.DangerousGetFd(),
            };
            Ioctl.Invoke(_fd, KvmIoctls.Irqfd, ref irqfd, "KVM_IRQFD");
        }
        finally
        {
            if (resampleAdded)
            {
                resample!.Handle.DangerousRelease();
            }
            if (added)
            {
                eventFd.Handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// KVM_REGISTER_COALESCED_MMIO with pio = 1: guest writes to [port, port+length) no longer
    /// exit; KVM queues them in the coalesced ring (<see cref="KvmCoalescedRing.Map"/>) and
    /// the VMM replays them, in order, before it handles the next exit. Reads still exit. Only
    /// for registers whose writes the guest cannot observe until it next exits (KVM_CAP_COALESCED_PIO).
    /// </summary>
    public void RegisterCoalescedPio(PioAddress port, uint length)
        => CoalescedZone(KvmIoctls.RegisterCoalescedMmio, port.Value, length, pio: 1, "KVM_REGISTER_COALESCED_MMIO");

    /// <summary>
    /// Undoes <see cref="RegisterCoalescedPio"/> for the same range; writes exit again.
    /// </summary>
    public void UnregisterCoalescedPio(PioAddress port, uint length)
        => CoalescedZone(KvmIoctls.UnregisterCoalescedMmio, port.Value, length, pio: 1, "KVM_UNREGISTER_COALESCED_MMIO");

    private void CoalescedZone(nuint request, ulong address, uint length, uint pio, string name)
    {
        var zone = new KvmCoalescedMmioZone { Addr = address, Size = length, Pio = pio };
        Ioctl.Invoke(_fd, request, ref zone, name);
    }

    private void Ioeventfd(EventFd eventFd, ulong address, uint length, ulong? datamatch, uint flags)
    {
        bool added = false;
        try
        {
            eventFd.Handle.DangerousAddRef(ref added);
            var ioeventfd = new KvmIoeventfd
            {
                Datamatch = datamatch ?? 0,
                Addr = address,
                Len = length,
                Fd = eventFd.Handle.DangerousGetFd(),
                Flags = flags | (datamatch.HasValue ? KvmConstants.IoeventfdFlagDatamatch : 0),
            };
            Ioctl.Invoke(_fd, KvmIoctls.Ioeventfd, ref ioeventfd, "KVM_IOEVENTFD");
        }
        finally
        {
            if (added)
            {
                eventFd.Handle.DangerousRelease();
            }
        }
    }
}
