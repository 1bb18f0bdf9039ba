using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// A level-triggered INTx line through KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE: a signal on
/// <see cref="Trigger"/> raises <see cref="Gsi"/> at the in-kernel IOAPIC (and PIC below 16);
/// at the guest's EOI KVM lowers it and signals <see cref="Resample"/>. The device backend gets
/// both: it masks its INTx when it fires and treats <see cref="Resample"/> as its unmask
/// trigger (VFIO_IRQ_SET_ACTION_UNMASK, vfio-user SET_IRQS), so a line the device holds high
/// costs the host nothing between EOIs and the VMM never sees the interrupt. Created by
/// <see cref="DeviceInterrupts.CreateIntx"/>; owns both eventfds.
/// </summary>
public sealed class IntxResampleLine : IDisposable
{
    private readonly IKvmInterrupts _kvm;
    private bool _disposed;

    internal IntxResampleLine(IKvmInterrupts kvm, uint gsi)
    {
        _kvm = kvm;
        Gsi = gsi;
        Trigger = EventFd.Create();
        Resample = EventFd.Create();
        try
        {
            kvm.RegisterIrqfd(Trigger, gsi, Resample);
        }
        catch
        {
            Trigger.Dispose();
            Resample.Dispose();
            throw;
        }
    }

    /// <summary>The GSI (an IOAPIC pin) the line raises.</summary>
    public uint Gsi { get; }

    /// <summary>The device signals this to assert the line.</summary>
    public EventFd Trigger { get; }

    /// <summary>KVM signals this at the guest's EOI, after lowering the line: the device's unmask.</summary>
    public EventFd Resample { get; }

    /// <summary>Removes the irqfd and closes both eventfds (the device's copies stay valid but
    /// no longer reach the guest).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _kvm.UnregisterIrqfd(Trigger, Gsi);
        Trigger.Dispose();
        Resample.Dispose();
    }
}
