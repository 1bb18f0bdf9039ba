namespace Vireo.Vmm.Tests.Interrupts;

public sealed class IntxResampleLineTests
{
    [Fact]
    public void The_line_is_an_irqfd_with_its_resample_eventfd_until_disposed()
    {
        var kvm = new FakeKvmInterrupts();
        using var interrupts = new DeviceInterrupts(kvm);

        IntxResampleLine line = interrupts.CreateIntx(18);

        Assert.Equal((18u, line.Resample), kvm.IrqfdOf(line.Trigger));
        line.Dispose();
        Assert.Equal(0, kvm.IrqfdCount);
        Assert.True(line.Trigger.Handle.IsClosed && line.Resample.Handle.IsClosed);
        line.Dispose();
    }

    [Fact]
    public void Intx_is_an_ioapic_pin()
    {
        using var interrupts = new DeviceInterrupts(new FakeKvmInterrupts());

        Assert.Throws<ArgumentOutOfRangeException>(() => interrupts.CreateIntx(24));
    }
}
