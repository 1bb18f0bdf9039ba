using System.Text;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>The request-head parser alone, over bytes: what it takes and what it refuses.</summary>
public sealed class HttpHeadParserTests
{
    private static readonly HttpLimits s_limits = new();

    [Fact]
    public void AnOrdinaryRequestGivesItsMethodPathAndFraming()
    {
        HttpRequestHead head = Parse("PUT /api/v1/vm.gpe?x=1 HTTP/1.1\r\nHost: localhost\r\ncontent-length:  10 \r\nExpect: 100-continue\r\n\r\n");

        Assert.Equal("PUT", head.Method);
        Assert.Equal("/api/v1/vm.gpe", head.Path);
        Assert.True(head.IsHttp11);
        Assert.Equal(10, head.ContentLength);
        Assert.False(head.Chunked);
        Assert.True(head.KeepAlive);
        Assert.True(head.ExpectContinue);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", true, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true, true)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false, false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, false)]
    public void KeepAliveFollowsTheVersionAndConnectionHeader(string request, bool http11, bool keepAlive)
    {
        HttpRequestHead head = Parse(request);

        Assert.Equal(http11, head.IsHttp11);
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Fact]
    public void ChunkedIsTakenOnHttp11()
    {
        HttpRequestHead head = Parse("PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");

        Assert.True(head.Chunked);
        Assert.Null(head.ContentLength);
        Assert.True(head.HasBody);
    }

    [Theory]
    // Request lines that are not METHOD /path HTTP/1.x.
    [InlineData("GARBAGE\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("GET /\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData(" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be a path")]
    [InlineData("GET / x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be a path")]
    [InlineData("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be a path")]
    [InlineData("GET /\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be a path")]
    [InlineData("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "speaks HTTP/1.1")]
    [InlineData("GET / HTTP/3\r\nHost: x\r\n\r\n", 505, "speaks HTTP/1.1")]
    // Found by fuzzing: anything after "HTTP/" was a 505, a 5xx for a malformed line.
    [InlineData("GET / HTTP/\u0000\u00011\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("GET / HTTP/o\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    [InlineData("GET / http/1.1\r\nHost: x\r\n\r\n", 400, "METHOD /path HTTP/1.1")]
    // Header lines.
    [InlineData("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "header line 1 is malformed")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "header line 2 is malformed")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400, "header line 2 is malformed")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400, "header line 2 is malformed")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n", 400, "control character")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX: a\nb\r\n\r\n", 400, "control character")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400, "control character")]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400, "needs a Host header")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host is given twice")]
    // Framing.
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "Content-Length must be a decimal number")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "given twice")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "not both")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400, "only Transfer-Encoding")]
    [InlineData("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "only Transfer-Encoding")]
    [InlineData("PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "need HTTP/1.1")]
    public void AMalformedHeadIsRefusedWithAStatusAndTheReason(string request, int status, string reason)
    {
        var e = Assert.Throws<BadHttpRequestException>(() => Parse(request));

        Assert.Equal(status, e.StatusCode);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("bad request: ", e.Message);
    }

    [Fact]
    public void TheRequestLineAndTheHeadersHaveTheirLimits()
    {
        string longLine = "GET /" + new string('a', 4096) + " HTTP/1.1\r\nHost: x\r\n\r\n";
        string longHeaders = "GET / HTTP/1.1\r\nHost: x\r\nX: " + new string('a', 16 * 1024) + "\r\n\r\n";
        string justFits = "GET /" + new string('a', 4096 - "GET / HTTP/1.1\r\n".Length) + " HTTP/1.1\r\n" + "Host: x\r\n\r\n";

        Assert.Equal(414, Assert.Throws<BadHttpRequestException>(() => Parse(longLine)).StatusCode);
        Assert.Equal(431, Assert.Throws<BadHttpRequestException>(() => Parse(longHeaders)).StatusCode);
        Assert.Equal(4096 - "GET  HTTP/1.1\r\n".Length, Parse(justFits).Path.Length);
    }

    [Fact]
    public void AnErrorDoesNotEchoTheClientsBytes()
    {
        var e = Assert.Throws<BadHttpRequestException>(() => Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Evil<script>: 1\r\n\r\n"));

        Assert.DoesNotContain("script", e.Message);
    }

    private static HttpRequestHead Parse(string head) => HttpHeadParser.Parse(Encoding.Latin1.GetBytes(head), s_limits);
}
