namespace Vireo.Virtio.Tests;

public sealed class MacAddressTests
{
    [Fact]
    public void A_name_gives_a_stable_locally_administered_unicast_address()
    {
        MacAddress first = MacAddress.FromName("vm1/net0");

        Assert.Equal(first, MacAddress.FromName("vm1/net0"));
        Assert.NotEqual(first, MacAddress.FromName("vm1/net1"));
        Assert.True(first.IsLocallyAdministered);
        Assert.False(first.IsMulticast);
        Assert.All(Enumerable.Range(0, 64).Select(i => MacAddress.FromName($"n{i}")), m => Assert.Equal(2, m.ToArray()[0] & 3));
    }

    [Theory]
    [InlineData("52:54:00:12:34:56", "52:54:00:12:34:56")]
    [InlineData("02-AB-cd-00-00-FF", "02:ab:cd:00:00:ff")]
    public void Text_round_trips(string text, string canonical)
    {
        MacAddress mac = MacAddress.Parse(text);

        Assert.Equal(canonical, mac.ToString());
        Assert.Equal(mac, new MacAddress(mac.ToArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:5g")]
    [InlineData("52:54:00:12:34:567")]
    [InlineData("52.54.00.12.34.56")]
    public void Malformed_text_is_refused(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void Bytes_must_be_six()
        => Assert.Throws<ArgumentException>(() => new MacAddress(new byte[5]));
}
