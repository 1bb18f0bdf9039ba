using System.Net.Sockets;
using System.Text;
using Vireo.Api;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>The client's side of HTTP: answers as bytes, framed every way the server frames them,
/// and answers no server of ours would send.</summary>
public sealed class ApiResponseTests
{
    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", 200, "hello")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-Trailer: 1\r\n\r\n", 200, "hello")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\nhello", 200, "hello")]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204, "")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 409 Conflict\r\ncontent-length: 2\r\n\r\n{}", 409, "{}")]
    [InlineData("HTTP/1.0 200\r\nContent-Length: 2\r\n\r\nok", 200, "ok")]
    public async Task EveryFramingGivesTheBody(string answer, int status, string body)
    {
        using ApiResponse response = await ApiResponse.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes(answer)), default);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body, await response.ReadBodyAsync(1024, default));
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("", "without answering")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le", "inside the answer's head")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n", "not HTTP/1.1")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", "not HTTP/1.1")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed header")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "malformed Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "other than chunked")]
    public async Task AnAnswerThatIsNotOursIsAnIOException(string answer, string reason)
    {
        var e = await Assert.ThrowsAsync<IOException>(() => ApiResponse.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes(answer)), default));

        Assert.Contains(reason, e.Message);
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "before the end of the answer")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "overflows 64 bits")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", "longer than its size says")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhe", "before the end of the answer")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n", "inside a chunked answer")]
    public async Task ABrokenBodyIsAnIOException(string answer, string reason)
    {
        using ApiResponse response = await ApiResponse.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes(answer)), default);

        var e = await Assert.ThrowsAsync<IOException>(() => response.ReadBodyAsync(1024, default));

        Assert.Contains(reason, e.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnEndlessHeadOrBodyIsCutAtTheLimit()
    {
        string endlessHead = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Pad: 0123456789\r\n", 2000));
        using ApiResponse big = await ApiResponse.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n\r\n" + new string('a', 5000))), default);

        var head = await Assert.ThrowsAsync<IOException>(() => ApiResponse.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes(endlessHead)), default));
        var body = await Assert.ThrowsAsync<IOException>(() => big.ReadBodyAsync(1024, default));

        Assert.Contains("head is longer than 16384 bytes", head.Message);
        Assert.Contains("longer than 1024 bytes", body.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AServerThatAnswersGarbageIsReportedNotThrownAsIs()
    {
        using var directory = new TempDirectory();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(directory.SocketPath));
        listener.Listen();
        Task server = Task.Run(async () =>
        {
            using Socket peer = await listener.AcceptAsync();
            await peer.SendAsync("SSH-2.0-OpenSSH_9.6\r\n\r\n"u8.ToArray());
            peer.Shutdown(SocketShutdown.Send);
            byte[] sink = new byte[1024];
            while (await peer.ReceiveAsync(sink) > 0)
            {
            }
        });
        using var client = new ApiClient(directory.SocketPath, TestApi.Timeout);

        var e = await Assert.ThrowsAsync<ApiClientException>(() => client.PingAsync());
        await server;

        Assert.Null(e.StatusCode);
        Assert.Equal($"cannot talk to the Vireo API at {directory.SocketPath}: the answer is not HTTP/1.1", e.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AServerThatNeverAnswersTimesOut()
    {
        using var directory = new TempDirectory();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(directory.SocketPath));
        listener.Listen();
        using var client = new ApiClient(directory.SocketPath, TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAsync<ApiClientException>(() => client.PauseAsync());

        Assert.Equal($"the Vireo API at {directory.SocketPath} did not answer PUT /api/v1/vm.pause within 0.3 s", e.Message);
    }
}
