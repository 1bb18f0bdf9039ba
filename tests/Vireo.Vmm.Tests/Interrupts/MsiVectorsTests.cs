using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

public sealed class MsiVectorsTests : IDisposable
{
    private readonly FakeKvmInterrupts _kvm = new();
    private readonly DeviceInterrupts _interrupts;
    private readonly EventFd[] _triggers = [EventFd.Create(), EventFd.Create(), EventFd.Create(), EventFd.Create()];

    public MsiVectorsTests()
    {
        _interrupts = new DeviceInterrupts(_kvm);
    }

    public void Dispose()
    {
        _interrupts.Dispose();
        foreach (EventFd trigger in _triggers)
        {
            trigger.Dispose();
        }
    }

    [Fact]
    public void Each_allocated_message_gets_its_own_gsi_with_the_vector_in_the_low_data_bits()
    {
        using MsiVectors msi = _interrupts.CreateMsi(0x18, _triggers);

        msi.SetMessage(enabled: true, allocatedVectors: 2, 0xFEE0_0000, 0x4043);

        KvmIrqRoutingEntry[] routes = [.. Assert.Single(_kvm.Tables).Where(e => e.IsMsi)];
        Assert.Equal([KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x4042), KvmIrqRoutingEntry.ForMsi(25, 0xFEE0_0000, 0x4043)], routes);
        Assert.Equal(2, _kvm.IrqfdCount);
        Assert.Null(msi.GsiOf(2));
    }

    [Fact]
    public void A_masked_message_is_pending_until_its_mask_bit_clears()
    {
        using MsiVectors msi = _interrupts.CreateMsi(0x18, [_triggers[0]]);
        msi.SetMessage(enabled: true, allocatedVectors: 1, 0xFEE0_0000, 0x41);
        msi.SetMaskBits(1);

        _triggers[0].Signal();
        Assert.True(MsixVectorsTests.WaitUntil(() => msi.PendingBits == 1));
        msi.SetMaskBits(0);

        Assert.Equal(0u, msi.PendingBits);
        Assert.Equal(1UL, _triggers[0].TryRead());
        Assert.Equal(24u, _kvm.IrqfdOf(_triggers[0])?.Gsi);
    }

    [Fact]
    public void Message_counts_that_msi_cannot_have_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _interrupts.CreateMsi(0x18, _triggers[..3]));
        using MsiVectors msi = _interrupts.CreateMsi(0x18, _triggers[..2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => msi.SetMessage(true, 4, 0xFEE0_0000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => msi.SetMessage(true, 0, 0xFEE0_0000, 0));
    }
}
