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

    [Fact]
    public void On_arm64_intx_is_any_spi_of_the_vgic()
    {
        var kvm = new FakeKvmInterrupts(defaultRoutes: Vireo.Kvm.KvmDefaultIrqRouting.Gicv3(96));
        using var interrupts = new DeviceInterrupts(kvm);

        using IntxResampleLine line = interrupts.CreateIntx(40);
        Assert.Equal((40u, line.Resample), kvm.IrqfdOf(line.Trigger));
        interrupts.CreateLevelLine(95).Set(true);
        Assert.Equal((95u, true), kvm.LineCalls.Single());
        Assert.Throws<ArgumentOutOfRangeException>(() => interrupts.CreateIntx(96));
        Assert.Throws<ArgumentOutOfRangeException>(() => interrupts.CreateLevelLine(96));
    }
}
