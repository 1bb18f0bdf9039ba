namespace Vireo.Pci.Tests;

public sealed class MsixTableTests
{
    [Fact]
    public void Entries_start_masked_and_read_back_what_the_guest_wrote()
    {
        var table = new MsixTable(3);
        Assert.Equal(48, table.TableLength);
        Assert.Equal(8, table.PbaLength);
        Assert.True(table.IsMasked(2));
        table.Write(16, [0x00, 0x10, 0xe0, 0xfe, 0, 0, 0, 0, 0x41, 0, 0, 0, 0, 0, 0, 0]);
        Assert.False(table.IsMasked(1));
        Assert.Equal(0xfee0_1000UL, table.MessageAddress(1));
        Assert.Equal(0x41u, table.MessageData(1));
        byte[] entry = new byte[16];
        table.Read(16, entry);
        Assert.Equal<byte>([0x00, 0x10, 0xe0, 0xfe, 0, 0, 0, 0, 0x41, 0, 0, 0, 0, 0, 0, 0], entry);
        table.Reset();
        Assert.True(table.IsMasked(1));
        Assert.Equal(0UL, table.MessageAddress(1));
    }

    [Fact]
    public void Accesses_past_the_table_are_clipped()
    {
        var table = new MsixTable(1);
        table.Write(12, [0, 0, 0, 0, 0xff, 0xff]);
        Assert.False(table.IsMasked(0));
        byte[] data = [9, 9, 9, 9, 9, 9, 9, 9];
        table.Read(12, data);
        Assert.Equal<byte>([0, 0, 0, 0, 9, 9, 9, 9], data);
        table.Write(ulong.MaxValue, [1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.IsMasked(1));
    }

    [Fact]
    public void Pba_sets_one_bit_per_pending_vector()
    {
        byte[] pba = new byte[16];
        MsixTable.ReadPba(70, 0, pba, v => v is 0 or 9 or 69);
        Assert.Equal<byte>([0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0], pba);
        byte[] tail = [7, 7];
        MsixTable.ReadPba(70, 15, tail, _ => true);
        Assert.Equal<byte>([0, 0], tail);
    }
}
