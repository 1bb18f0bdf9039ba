using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>One MMIO ioeventfd registered with KVM for a bound PCI function
/// (<see cref="PciFunctionHost.AddIoEventFd"/>); disposing it deassigns it.</summary>
internal sealed class IoEventFdRegistration : IDisposable
{
    private readonly KvmVm _vm;
    private readonly EventFd _eventFd;
    private readonly MmioAddress _address;
    private readonly uint _length;
    private readonly ulong? _datamatch;
    private int _disposed;

    private IoEventFdRegistration(KvmVm vm, EventFd eventFd, MmioAddress address, uint length, ulong? datamatch)
    {
        _vm = vm;
        _eventFd = eventFd;
        _address = address;
        _length = length;
        _datamatch = datamatch;
    }

    /// <summary>KVM_IOEVENTFD for a guest write of <paramref name="size"/> bytes (1, 2, 4 or 8)
    /// at <paramref name="address"/>, equal to <paramref name="datamatch"/> when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not one KVM matches.</exception>
    /// <exception cref="ErrnoException">KVM refused (an overlapping registration, no room).</exception>
    public static IoEventFdRegistration Register(KvmVm vm, ulong address, int size, ulong? datamatch, EventFd eventFd)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(eventFd);
        if (size is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "an ioeventfd matches writes of 1, 2, 4 or 8 bytes");
        }
        var at = new MmioAddress(address);
        vm.RegisterIoeventfd(eventFd, at, (uint)size, datamatch);
        return new IoEventFdRegistration(vm, eventFd, at, (uint)size, datamatch);
    }

    /// <summary>Deassigns it; once, and quietly if the VM or the eventfd is already gone (KVM
    /// drops every ioeventfd with the VM).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            _vm.UnregisterIoeventfd(_eventFd, _address, _length, _datamatch);
        }
        catch (Exception e) when (e is ErrnoException or ObjectDisposedException)
        {
            // Already gone with the VM or the device's eventfd: nothing is left to release.
        }
    }
}
