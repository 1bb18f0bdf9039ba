using System.Text;

namespace Vireo.Agent.Tests;

public sealed class AgentRequestTests
{
    [Fact]
    public void A_request_round_trips_as_one_line()
    {
        var request = new AgentRequest("web", "0000:00:03.0", "iommufd");

        byte[] line = request.Encode();

        Assert.Equal("{\"vm\":\"web\",\"device\":\"0000:00:03.0\",\"backend\":\"iommufd\"}\n", Encoding.UTF8.GetString(line));
        Assert.Equal(request, AgentRequest.Decode(line.AsSpan(0, line.Length - 1)));
    }

    [Fact]
    public void The_backend_defaults_to_auto()
        => Assert.Equal("auto", AgentRequest.Decode("{\"vm\":\"a\",\"device\":\"00:03.0\"}"u8).Backend);

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("[1]", "not a JSON object")]
    [InlineData("{\"vm\":\"a\"}", "\"device\" must be")]
    [InlineData("{\"device\":\"00:03.0\"}", "\"vm\" must be a VM name")]
    [InlineData("{\"vm\":\"\",\"device\":\"00:03.0\"}", "\"vm\" must be a VM name")]
    [InlineData("{\"vm\":\"../x\",\"device\":\"00:03.0\"}", "\"vm\" must be a VM name")]
    [InlineData("{\"vm\":1,\"device\":\"00:03.0\"}", "\"vm\" must be a string")]
    [InlineData("{\"vm\":\"a\",\"vm\":\"b\",\"device\":\"00:03.0\"}", "given twice")]
    [InlineData("{\"vm\":\"a\",\"device\":\"00:03.0\",\"uid\":\"0\"}", "unknown field \"uid\"")]
    [InlineData("{\"vm\":\"a\",\"device\":\"00:03.0\",\"backend\":\"legacy\"}", "\"backend\" must be one of auto, group, iommufd")]
    [InlineData("{\"vm\":\"a\",\"device\":\"a\\u0000b\"}", "\"device\" must be")]
    [InlineData("{\"vm\":\"a\",\"device\":{\"x\":[[[1]]]}}", "not JSON")]
    public void A_bad_request_is_a_clear_error(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AgentRequest.Decode(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_huge_vm_name_is_refused()
    {
        string json = "{\"vm\":\"" + new string('a', 65) + "\",\"device\":\"00:03.0\"}";

        Assert.Throws<FormatException>(() => AgentRequest.Decode(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_grant_reply_round_trips()
    {
        var reply = new AgentReply(true, null, "0000:00:03.0", 3, "iommufd", ["iommufd", "device"], 7);

        byte[] line = reply.Encode();
        AgentReply back = AgentReply.Decode(line.AsSpan(0, line.Length - 1));

        Assert.True(back.Granted);
        Assert.Equal(["iommufd", "device"], back.Roles);
        Assert.Equal(7u, back.Ioas);
        Assert.Equal(3, back.Group);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"granted\":\"yes\"}")]
    [InlineData("{\"granted\":true}")]
    [InlineData("{\"granted\":true,\"device\":\"x\",\"group\":1,\"backend\":\"group\",\"fds\":[]}")]
    [InlineData("{\"granted\":true,\"device\":\"x\",\"group\":1,\"backend\":\"group\",\"fds\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}")]
    [InlineData("{\"granted\":true,\"device\":\"x\",\"group\":\"1\",\"backend\":\"group\",\"fds\":[\"a\"]}")]
    public void A_malformed_reply_is_a_format_error(string json)
        => Assert.Throws<FormatException>(() => AgentReply.Decode(Encoding.UTF8.GetBytes(json)));
}
