using System.Buffers.Binary;

namespace Vireo.Pci.Tests;

public sealed class PciConfigSpaceTests
{
    [Fact]
    public void Header_holds_ids_class_and_revision_byte_exact()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000, revision: 1, subsystemVendorId: 0x1af4, subsystemId: 0x0001);
        byte[] header = new byte[0x30];
        config.Read(0, header);
        Assert.Equal<byte>([0xf4, 0x1a, 0xf0, 0x10], header[..4]);
        Assert.Equal<byte>([0x01, 0x00, 0x00, 0x12], header[8..12]);
        Assert.Equal<byte>([0xf4, 0x1a, 0x01, 0x00], header[0x2c..0x30]);
    }

    [Fact]
    public void Read_only_registers_ignore_writes_and_command_keeps_only_writable_bits()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        config.Write(PciConfigSpace.VendorIdOffset, [0xff, 0xff, 0xff, 0xff]);
        Assert.Equal(0x10f0_1af4u, config.ReadU32(0));
        config.Write(PciConfigSpace.CommandOffset, [0xff, 0xff]);
        Assert.Equal(PciConfigSpace.CommandWritable, config.Command);
        Assert.True(config.IntxDisabled);
    }

    [Fact]
    public void Status_error_bits_are_write_one_to_clear()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        config.SetU16(PciConfigSpace.StatusOffset, 0x8010); // detected parity error + cap list
        config.Write(PciConfigSpace.StatusOffset, [0x00, 0x00]);
        Assert.Equal(0x8010, config.ReadU16(PciConfigSpace.StatusOffset));
        config.Write(PciConfigSpace.StatusOffset, [0xff, 0xff]);
        Assert.Equal(0x0010, config.ReadU16(PciConfigSpace.StatusOffset));
    }

    [Fact]
    public void Bar_sizing_write_reads_back_size_and_type_bits()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        using PciBar bar0 = PciBar.Trapped(0x1000);
        using PciBar bar2 = PciBar.Trapped(0x4000, is64Bit: true);
        config.SetBar(0, bar0);
        config.SetBar(2, bar2);
        config.Write(PciConfigSpace.BarOffset, [0xff, 0xff, 0xff, 0xff]);
        config.Write(PciConfigSpace.BarOffset + 8, [0xff, 0xff, 0xff, 0xff]);
        config.Write(PciConfigSpace.BarOffset + 12, [0xff, 0xff, 0xff, 0xff]);
        Assert.Equal(0xffff_f000u, config.ReadU32(PciConfigSpace.BarOffset));
        Assert.Equal(0xffff_c004u, config.ReadU32(PciConfigSpace.BarOffset + 8));
        Assert.Equal(0xffff_ffffu, config.ReadU32(PciConfigSpace.BarOffset + 12));
    }

    [Fact]
    public void Capabilities_chain_in_order_from_0x40_with_the_list_bit()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        int pm = config.AddPowerManagement();
        int msi = config.AddMsi(4);
        int msix = config.AddMsix(8, 2, 0x2000, 2, 0x3000);
        Assert.Equal(0x40, pm);
        Assert.Equal(pm, config.ReadU16(PciConfigSpace.CapabilityPointerOffset) & 0xff);
        Assert.Equal(PciConfigSpace.PowerManagementCapabilityId, (byte)config.ReadU16(pm));
        Assert.Equal(msi, config.ReadU16(pm) >> 8);
        Assert.Equal(msix, config.ReadU16(msi) >> 8);
        Assert.Equal(0, config.ReadU16(msix) >> 8);
        Assert.Equal(0x0010, config.ReadU16(PciConfigSpace.StatusOffset) & 0x0010);
        Assert.Equal(7, config.ReadU16(msix + 2) & 0x7ff); // table size N-1
        Assert.Equal(0x2002u, config.ReadU32(msix + 4));
    }

    [Fact]
    public void Pme_support_sets_pmc_bits_15_to_11_read_only()
    {
        var plain = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        int plainPm = plain.AddPowerManagement();
        // Version 3 (PM 1.2), no PME_Support: what every device had before the parameter.
        Assert.Equal(0x0003, plain.ReadU16(plainPm + 2));

        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        int pm = config.AddPowerManagement(PciPmeSupport.D3Hot | PciPmeSupport.D3Cold);
        // Linux pci_pm_init: pme_support = (pmc & 0xf800) >> 11 = 0x18 (D3hot, D3cold).
        Assert.Equal(0xc003, config.ReadU16(pm + 2));
        config.Write(pm + 2, [0x00, 0x00]);
        Assert.Equal(0xc003, config.ReadU16(pm + 2));
        config.Reset();
        Assert.Equal(0xc003, config.ReadU16(pm + 2));

        Assert.Throws<ArgumentException>(() => new PciConfigSpace(0x1af4, 0x10f0, 0x120000).AddPowerManagement(PciPmeSupport.D1));
        Assert.Throws<ArgumentException>(() => new PciConfigSpace(0x1af4, 0x10f0, 0x120000).AddPowerManagement((PciPmeSupport)0x0400));
    }

    [Fact]
    public void Pm_state_msi_and_msix_enables_follow_guest_writes()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        int pm = config.AddPowerManagement();
        int msi = config.AddMsi(4);
        int msix = config.AddMsix(2, 0, 0, 0, 0x800);
        config.Write(pm + 4, [0x03, 0x00]);
        Assert.Equal(PciPowerState.D3Hot, config.PowerState);
        config.Write(msi + 2, [0x21, 0x00]); // enable, 4 vectors granted
        Assert.True(config.MsiEnabled);
        Assert.Equal(4, config.MsiEnabledVectors);
        config.Write(msix + 2, [0x00, 0xc0]);
        Assert.True(config.MsixEnabled);
        Assert.True(config.MsixFunctionMasked);
        // The table size field is read-only.
        Assert.Equal(1, config.ReadU16(msix + 2) & 0x7ff);
    }

    [Fact]
    public void Reset_restores_sealed_values_but_keeps_programmed_bars()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000);
        using PciBar bar = PciBar.Trapped(0x1000);
        config.SetBar(0, bar);
        int pm = config.AddPowerManagement();
        config.Write(PciConfigSpace.BarOffset, [0x00, 0x00, 0x00, 0xfe]);
        config.Write(PciConfigSpace.CommandOffset, [0x06, 0x00]);
        config.Write(pm + 4, [0x03, 0x00]);
        config.Reset();
        Assert.Equal(0, config.Command);
        Assert.Equal(PciPowerState.D0, config.PowerState);
        Assert.Equal(0xfe00_0000u, config.ReadU32(PciConfigSpace.BarOffset));
    }

    [Fact]
    public void Snapshot_round_trips_and_out_of_range_access_throws()
    {
        var config = new PciConfigSpace(0x1af4, 0x10f0, 0x120000, size: PciConfigSpace.ExtendedSize);
        config.Write(PciConfigSpace.InterruptLineOffset, [0x0b]);
        byte[] saved = config.Snapshot();
        var other = new PciConfigSpace(0x1af4, 0x10f0, 0x120000, size: PciConfigSpace.ExtendedSize);
        other.Restore(saved);
        Assert.Equal(0x0b, other.ReadU16(PciConfigSpace.InterruptLineOffset) & 0xff);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.Read(4094, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => config.Write(-1, [0]));
        Assert.Throws<ArgumentException>(() => other.Restore(new byte[256]));
        Assert.Equal(0x0b, BinaryPrimitives.ReadUInt16LittleEndian(saved.AsSpan(PciConfigSpace.InterruptLineOffset)) & 0xff);
    }
}
