using Vireo.Vfio;

namespace Vireo.Agent.Tests;

public sealed class AgentPolicyTests
{
    private static readonly AgentDeviceGroup s_edu = new("0000:00:03.0", 3, ["0000:00:03.0"]);
    private static readonly AgentDeviceGroup s_shared = new("0000:00:04.0", 5, ["0000:00:04.0", "0000:00:04.1"]);

    [Fact]
    public void A_device_grant_serves_its_user_and_vm_and_nobody_else()
    {
        AgentPolicy policy = AgentPolicy.Parse("""{"grants":[{"uid":1000,"vm":"web","devices":["00:03.0"]}]}""");

        Assert.Null(policy.Refusal(1000, "web", s_edu));
        Assert.Contains("no grant for uid 1000 running VM 'db'", policy.Refusal(1000, "db", s_edu));
        Assert.Contains("no grant for uid 1001", policy.Refusal(1001, "web", s_edu));
    }

    [Fact]
    public void A_grant_without_a_vm_serves_every_vm_of_its_user()
    {
        AgentPolicy policy = AgentPolicy.Parse("""{"grants":[{"uid":0,"groups":[3]}]}""");

        Assert.Null(policy.Refusal(0, "anything", s_edu));
        Assert.Null(policy.Refusal(0, "other", s_edu));
    }

    [Fact]
    public void A_device_whose_group_has_an_ungranted_member_is_refused_naming_that_member()
    {
        AgentPolicy policy = AgentPolicy.Parse("""{"grants":[{"uid":1000,"devices":["0000:00:04.0"]}]}""");

        string? refusal = policy.Refusal(1000, "web", s_shared);

        Assert.NotNull(refusal);
        Assert.Contains("shares IOMMU group 5 with 0000:00:04.1", refusal);
        Assert.Contains("grant the group or every device in it", refusal);
    }

    [Fact]
    public void Granting_the_group_or_every_member_covers_a_shared_group()
    {
        Assert.Null(AgentPolicy.Parse("""{"grants":[{"uid":1000,"groups":[5]}]}""").Refusal(1000, "web", s_shared));
        Assert.Null(AgentPolicy.Parse("""{"grants":[{"uid":1000,"devices":["0000:00:04.0","0000:00:04.1"]}]}""").Refusal(1000, "web", s_shared));
        // Two grants of the same user add up.
        Assert.Null(AgentPolicy.Parse("""{"grants":[{"uid":1000,"devices":["0000:00:04.0"]},{"uid":1000,"devices":["0000:00:04.1"]}]}""").Refusal(1000, "web", s_shared));
    }

    [Fact]
    public void A_device_outside_every_grant_of_its_user_is_refused()
    {
        AgentPolicy policy = AgentPolicy.Parse("""{"grants":[{"uid":1000,"devices":["0000:00:05.0"]}]}""");

        Assert.Contains("neither 0000:00:03.0 nor its IOMMU group 3", policy.Refusal(1000, "web", s_edu));
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("""{"grant":[]}""", "unknown field \"grant\"")]
    [InlineData("""{"grants":{}}""", "\"grants\" must be an array")]
    [InlineData("""{"grants":[{"devices":["00:03.0"]}]}""", "grant 0 has no \"uid\"")]
    [InlineData("""{"grants":[{"uid":-1,"devices":["00:03.0"]}]}""", "\"uid\" must be a user id")]
    [InlineData("""{"grants":[{"uid":"1000","devices":["00:03.0"]}]}""", "\"uid\" must be a user id")]
    [InlineData("""{"grants":[{"uid":1000}]}""", "grants nothing")]
    [InlineData("""{"grants":[{"uid":1000,"devices":["eth0"]}]}""", "\"eth0\" in \"devices\" is not a PCI address")]
    [InlineData("""{"grants":[{"uid":1000,"devices":[3]}]}""", "must be an array of strings")]
    [InlineData("""{"grants":[{"uid":1000,"groups":["3"]}]}""", "IOMMU group numbers")]
    [InlineData("""{"grants":[{"uid":1000,"vm":"a b","groups":[3]}]}""", "\"vm\" must be a VM name")]
    [InlineData("""{"grants":[{"uid":1000,"group":[3]}]}""", "unknown field \"group\"")]
    [InlineData("""{"grants":[{"uid":1000,"uid":0,"groups":[3]}]}""", "not valid JSON")]
    public void A_bad_policy_is_a_clear_error(string json, string expected)
    {
        var e = Assert.Throws<AgentPolicyException>(() => AgentPolicy.Parse(json, "policy.json"));

        Assert.Contains(expected, e.Message);
        Assert.StartsWith("policy.json", e.Message);
    }

    [Fact]
    public void A_missing_policy_file_names_the_file()
    {
        var e = Assert.Throws<AgentPolicyException>(() => AgentPolicy.Load("/nonexistent/vireo-policy.json"));

        Assert.Contains("/nonexistent/vireo-policy.json", e.Message);
    }

    [Theory]
    [InlineData("0000:00:03.0", "0000:00:03.0")]
    [InlineData("00:03.0", "0000:00:03.0")]
    [InlineData("0000:0A:1F.7", "0000:0a:1f.7")]
    [InlineData("10000:00:03.0", "10000:00:03.0")]
    [InlineData("000:00:03.0", null)]
    [InlineData("0000:00:20.0", null)]
    [InlineData("0000:00:03.8", null)]
    [InlineData("0000:00:03", null)]
    [InlineData("00:03.0.1", null)]
    [InlineData("-1:00:03.0", null)]
    [InlineData("", null)]
    public void Pci_addresses_normalize_or_are_rejected(string text, string? expected)
        => Assert.Equal(expected, PciAddressText.Normalize(text));
}
