using System.Text;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>Chunk-size lines (RFC 9112 §7.1), including sizes no 64-bit number holds.</summary>
public sealed class ChunkSizeTests
{
    [Theory]
    [InlineData("0", 0ul)]
    [InlineData("1a", 0x1aul)]
    [InlineData("1A", 0x1aul)]
    [InlineData("00000000000000000000001", 1ul)]
    [InlineData("ffffffffffffffff", ulong.MaxValue)]
    [InlineData("10;name=value", 0x10ul)]
    [InlineData("10 ", 0x10ul)]
    public void ASizeIsHexWithOptionalExtensions(string line, ulong size) =>
        Assert.Equal(size, ChunkSize.Parse(Encoding.Latin1.GetBytes(line), "PUT /x"));

    [Theory]
    [InlineData("10000000000000000", "overflows 64 bits")] // 2^64
    [InlineData("fffffffffffffffff", "overflows 64 bits")]
    [InlineData("", "not a hexadecimal number")]
    [InlineData("-1", "not a hexadecimal number")]
    [InlineData("0x10", "not a hexadecimal number")]
    [InlineData("g", "not a hexadecimal number")]
    [InlineData(" 10", "not a hexadecimal number")]
    [InlineData("10;a\u0000b", "control character")]
    public void AMalformedOrOverflowingSizeIs400(string line, string reason)
    {
        var e = Assert.Throws<BadHttpRequestException>(() => ChunkSize.Parse(Encoding.Latin1.GetBytes(line), "PUT /x"));

        Assert.Equal(400, e.StatusCode);
        Assert.StartsWith("the chunked request body of PUT /x is malformed: ", e.Message);
        Assert.Contains(reason, e.Message);
    }
}
