using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>Bodies that are valid JSON to the reader but not text: each is a 400 naming the
/// problem, never an exception the router turns into a 500.</summary>
public sealed class JsonBodyCheckTests
{
    public static TheoryData<byte[], string> NotText => new()
    {
        // Found by fuzzing (tools/fuzz/api.sh): a byte that is not UTF-8 inside a field name or a
        // string value passed the check and made the serializer throw InvalidOperationException.
        { [.. "{\"g"u8, 0x80, .. "e\": 2}"u8], "not UTF-8" },
        { [.. "{\"id\": \"ed"u8, 0xff, .. "\", \"low_power\": true}"u8], "not UTF-8" },
        { [.. "{\"id\": \"edu\", \"l"u8, 0x7f, 0xff, 0xff, 0xff], "not UTF-8" },
        { "{\"id\": \"\\ud800\", \"low_power\": true}"u8.ToArray(), "lone surrogate" },
        { "{\"\\udfff\": true}"u8.ToArray(), "lone surrogate" },
    };

    [Theory]
    [MemberData(nameof(NotText))]
    public void A_body_that_is_not_text_is_a_400_that_says_so(byte[] body, string words)
    {
        var e = Assert.Throws<ApiRequestException>(() =>
            JsonBodyCheck.Validate(body, ApiJsonContext.Default.DevicePowerRequest, "/api/v1/vm.device-power", "{}"));

        Assert.Equal(HttpStatus.BadRequest, e.StatusCode);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_outside_ascii_is_still_text()
    {
        JsonBodyCheck.Validate("{\"id\": \"\u00e9\\u00e9\", \"low_power\": false}"u8, ApiJsonContext.Default.DevicePowerRequest, "/api/v1/vm.device-power", "{}");
    }
}
