namespace Vireo.Acpi.Tests;

/// <summary>Inputs the AML grammar cannot express are rejected when the node is built.</summary>
public sealed class AmlValidationTests
{
    [Theory]
    [InlineData("")]
    [InlineData("TOOLONG")]
    [InlineData("pci0")]          // AML names are upper case
    [InlineData("0ABC")]          // a digit cannot lead
    [InlineData("\\_SB..PCI0")]
    [InlineData("A-B")]
    public void Bad_names_are_rejected(string path)
    {
        Assert.Throws<ArgumentException>(() => new AmlPath(path));
    }

    [Fact]
    public void Short_segments_are_padded_with_underscores()
    {
        Assert.Equal("5C2E5F53425F44305F5F", Bytes.Hex(AmlSink.Render(new AmlPath("\\_SB.D0"))));
        Assert.Equal("\\_SB_.D0__", new AmlPath("\\_SB.D0").ToString());
    }

    [Fact]
    public void Uuid_uses_the_mixed_endian_layout()
    {
        // ACPI 6.5 §19.6.142: the first three groups are little-endian, the rest as written.
        Assert.Equal("A040EBC4D26CE211BCFD0800200C9A66", Bytes.Hex(new AmlUuid("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66").ToBufferBytes()));
        Assert.Equal("560DE01164CECE47837B1F898F9AA461", Bytes.Hex(new AmlUuid("11e00d56-ce64-47ce-837b-1f898f9aa461").ToBufferBytes()));
    }

    [Theory]
    [InlineData("PNP0A08", 0x080AD041u)]
    [InlineData("PNP0A03", 0x030AD041u)]
    [InlineData("PNP0501", 0x0105D041u)]
    public void EisaId_compresses_like_iasl(string id, uint expected)
    {
        Assert.Equal(expected, AmlEisaId.Compress(id));
    }

    [Theory]
    [InlineData("PNP0A0")]
    [InlineData("pnp0A08")]
    [InlineData("PNP0G08")]
    public void Bad_eisa_ids_are_rejected(string id)
    {
        Assert.Throws<ArgumentException>(() => AmlEisaId.Compress(id));
    }

    [Fact]
    public void Out_of_range_operands_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlLocal(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlArg(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlMethod("M", 8, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlMethod("M", 0, true) { SyncLevel = 16 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlMutex("M", 16));
        Assert.Throws<ArgumentException>(() => new AmlString("caf\u00e9"));
        Assert.Throws<ArgumentException>(() => new AmlPackage(Enumerable.Repeat<IAml>(AmlInteger.Zero, 256)));
        Assert.Throws<ArgumentException>(() => AmlFieldUnit.Named("\\ABC", 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => IrqDescriptor.NoFlags(16));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressSpaceDescriptor.QWordMemory(0, ulong.MaxValue, AmlMemoryCaching.Cacheable));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlDsmFunction(0));
    }

    [Fact]
    public void Dsm_mask_grows_with_the_highest_function()
    {
        Assert.Equal([0x00], new AmlDsmInterface(Guid.Empty).SupportedFunctionsMask());
        Assert.Equal([0x03], new AmlDsmInterface(Guid.Empty, new AmlDsmFunction(1)).SupportedFunctionsMask());
        Assert.Equal([0x01, 0x01], new AmlDsmInterface(Guid.Empty, new AmlDsmFunction(8)).SupportedFunctionsMask());
        Assert.Throws<ArgumentException>(() => new AmlDsmInterface(Guid.Empty, new AmlDsmFunction(3), new AmlDsmFunction(3)));
    }

    [Fact]
    public void Resource_template_checksum_is_zero_or_makes_the_sum_zero()
    {
        var io = new IoDescriptor(0x600, 1);
        Assert.Equal("4701000600060101" + "7900", Bytes.Hex(new AmlResourceTemplate(io).DescriptorBytes()));
        byte[] summed = new AmlResourceTemplate(io) { ComputeChecksum = true }.DescriptorBytes();
        Assert.Equal(0x79, summed[^2]);
        Assert.True(AcpiChecksum.IsValid(summed));
    }
}
