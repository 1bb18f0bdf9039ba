using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

public sealed class GsiRouterTests
{
    [Fact]
    public void A_batch_of_changes_is_one_table_with_the_default_routes_first()
    {
        var kvm = new FakeKvmInterrupts();
        var router = new GsiRouter(kvm);
        uint a = router.AllocateMsiGsi();
        uint b = router.AllocateMsiGsi();
        router.SetMsiRoute(b, 0xFEE0_1000, 0x42);
        router.SetMsiRoute(a, 0xFEE0_0000, 0x41);

        router.Commit();

        Assert.Equal((24u, 25u), (a, b));
        KvmIrqRoutingEntry[] table = Assert.Single(kvm.Tables);
        Assert.Equal([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x41), KvmIrqRoutingEntry.ForMsi(25, 0xFEE0_1000, 0x42)], table);
        Assert.Equal(table, router.CommittedTable);
    }

    [Fact]
    public void A_commit_that_changes_nothing_makes_no_ioctl()
    {
        var kvm = new FakeKvmInterrupts();
        var router = new GsiRouter(kvm);
        uint gsi = router.AllocateMsiGsi();
        router.Commit();
        Assert.Empty(kvm.Tables);

        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x41);
        router.Commit();
        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x99);
        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x41);
        router.Commit();

        Assert.Single(kvm.Tables);
        Assert.Equal(1, router.Commits);
    }

    [Fact]
    public void Released_gsis_lose_their_route_and_are_handed_out_again_lowest_first()
    {
        var kvm = new FakeKvmInterrupts(gsiLimit: 27);
        var router = new GsiRouter(kvm);
        uint[] gsis = [router.AllocateMsiGsi(), router.AllocateMsiGsi(), router.AllocateMsiGsi()];
        foreach (uint gsi in gsis)
        {
            router.SetMsiRoute(gsi, 0xFEE0_0000, gsi);
        }
        router.Commit();

        Assert.Throws<ResourceConflictException>(() => router.AllocateMsiGsi());
        router.ReleaseMsiGsi(25);
        router.Commit();

        Assert.DoesNotContain(kvm.LastTable, e => e.Gsi == 25);
        Assert.Equal(2, kvm.LastTable.Count(e => e.IsMsi));
        Assert.Equal(25u, router.AllocateMsiGsi());
        Assert.Throws<InvalidOperationException>(() => router.SetMsiRoute(40, 0, 0));
        Assert.Throws<InvalidOperationException>(() => router.ReleaseMsiGsi(5));
    }

    [Fact]
    public void A_refused_commit_rolls_back_to_the_table_kvm_has()
    {
        var kvm = new FakeKvmInterrupts();
        var router = new GsiRouter(kvm);
        uint gsi = router.AllocateMsiGsi();
        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x41);
        router.Commit();

        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x77);
        kvm.FailNextRouting = true;
        var error = Assert.Throws<ErrnoException>(router.Commit);
        router.Commit();

        Assert.Equal("KVM_SET_GSI_ROUTING", error.Call);
        Assert.Single(kvm.Tables);
        Assert.Contains(KvmIrqRoutingEntry.ForMsi(gsi, 0xFEE0_0000, 0x41), router.CommittedTable);
    }

    [Fact]
    public void The_msi_pool_starts_above_the_ioapic_pins()
    {
        var kvm = new FakeKvmInterrupts();

        Assert.Throws<ArgumentOutOfRangeException>(() => new GsiRouter(kvm, firstMsiGsi: 23));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GsiRouter(kvm, firstMsiGsi: 4096));
        Assert.Equal(24u, new GsiRouter(kvm).FirstMsiGsi);
    }

    [Fact]
    public void On_arm64_the_vgics_spis_are_the_default_routes_and_msi_gsis_start_above_them()
    {
        // Vireo's arm64 machine: 128 interrupts, 96 of them SPIs (GSIs 0-95).
        var kvm = new FakeKvmInterrupts(defaultRoutes: KvmDefaultIrqRouting.Gicv3(96));
        var router = new GsiRouter(kvm);
        Assert.Equal(96u, router.IrqchipPins);
        Assert.Equal(96u, router.FirstMsiGsi);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GsiRouter(kvm, firstMsiGsi: 95));

        uint gsi = router.AllocateMsiGsi();
        router.SetMsiRoute(gsi, 0x0808_0040, 7);
        router.Commit();

        KvmIrqRoutingEntry[] table = kvm.LastTable;
        Assert.Equal(97, table.Length);
        // Every SPI keeps its own pin on irqchip 0, as kvm_vgic_setup_default_irq_routing made it.
        Assert.All(table[..96], e => Assert.Equal((e.Gsi, KvmDefaultIrqRouting.GicIrqchip, e.Gsi), (e.Gsi, e.Chip, e.Pin)));
        Assert.Equal(Enumerable.Range(0, 96).Select(g => (uint)g), table[..96].Select(e => e.Gsi));
        Assert.Equal(KvmIrqRoutingEntry.ForMsi(96, 0x0808_0040, 7), table[96]);
    }

    [Fact]
    public void With_an_its_each_msi_route_names_its_sender_and_a_new_sender_is_a_new_route()
    {
        // An arm64 VM with an ITS (KVM_CAP_MSI_DEVID): the ITS finds the interrupt by
        // (device, event), so the same doorbell write from two functions is two interrupts.
        var kvm = new FakeKvmInterrupts(defaultRoutes: KvmDefaultIrqRouting.Gicv3(96), msiCarriesDeviceId: true);
        var router = new GsiRouter(kvm);
        uint a = router.AllocateMsiGsi();
        uint b = router.AllocateMsiGsi();
        router.SetMsiRoute(a, 0x0809_0040, 0, requesterId: 0x08);
        router.SetMsiRoute(b, 0x0809_0040, 0, requesterId: 0x10);
        router.Commit();

        KvmIrqRoutingEntry[] msi = [.. kvm.LastTable.Where(e => e.IsMsi)];
        Assert.Equal([0x08u, 0x10u], msi.Select(e => e.MsiDeviceId));
        Assert.Equal(KvmIrqRoutingEntry.ForMsi(a, 0x0809_0040, 0, 0x08), msi[0]);

        // The same message from another function is a change KVM must hear of.
        router.SetMsiRoute(a, 0x0809_0040, 0, requesterId: 0x18);
        router.Commit();
        Assert.Equal(2, router.Commits);
        Assert.Equal(0x18u, kvm.LastTable.First(e => e.Gsi == a).MsiDeviceId);
    }

    [Fact]
    public void Without_an_its_msi_routes_carry_no_device_id()
    {
        // KVM on a PC refuses KVM_MSI_VALID_DEVID (x86 routes name no device).
        var kvm = new FakeKvmInterrupts();
        var router = new GsiRouter(kvm);
        uint gsi = router.AllocateMsiGsi();
        router.SetMsiRoute(gsi, 0xFEE0_0000, 0x41, requesterId: 0x08);
        router.Commit();

        KvmIrqRoutingEntry route = kvm.LastTable.Single(e => e.IsMsi);
        Assert.Null(route.MsiDeviceId);
        Assert.Equal(KvmIrqRoutingEntry.ForMsi(gsi, 0xFEE0_0000, 0x41), route);
    }

    [Fact]
    public async Task Concurrent_changes_from_many_threads_all_reach_kvm()
    {
        var kvm = new FakeKvmInterrupts();
        var router = new GsiRouter(kvm);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                uint gsi = router.AllocateMsiGsi();
                router.SetMsiRoute(gsi, 0xFEE0_0000, gsi);
                router.Commit();
            }
        })));

        KvmIrqRoutingEntry[] msi = [.. kvm.LastTable.Where(e => e.IsMsi)];
        Assert.Equal(160, msi.Length);
        Assert.All(msi, e => Assert.Equal(e.Gsi, e.MsiData));
        Assert.Equal(Enumerable.Range(24, 160).Select(g => (uint)g), msi.Select(e => e.Gsi));
    }
}
