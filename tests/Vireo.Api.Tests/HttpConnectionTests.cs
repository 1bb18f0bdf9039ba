using System.Diagnostics;
using System.Text;

namespace Vireo.Api.Tests;

/// <summary>One connection over an in-memory pipe, fed what hostile or broken clients send. Each
/// test also checks the connection's task ended without an exception and gave back its slot.</summary>
public sealed class HttpConnectionTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        var test = new TestConnection();

        await test.SendAsync(
            "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n" +
            "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
            "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        string output = await test.ReadToCloseAsync();

        Assert.Equal([(200, "pong"), (200, "abc"), (200, "pong")], TestConnection.Answers(output));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AContentLengthLargerThanTheBodyIs408WhenTheClientFallsSilent()
    {
        var test = new TestConnection(TestConnection.QuickTimeouts);
        var clock = Stopwatch.StartNew();

        await test.SendAsync("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"gpe\"");
        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));

        Assert.Equal(408, status);
        Assert.Contains("not complete within 0.3 s", TestApi.ErrorOf(body));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AContentLengthLargerThanTheBodyIs400WhenTheClientCloses()
    {
        var test = new TestConnection();

        await test.SendAsync("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"gpe\"");
        test.CloseSend();
        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));

        Assert.Equal(400, status);
        Assert.Contains("ended after 6 of the 100 bytes announced", TestApi.ErrorOf(body));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AContentLengthSmallerThanTheBodyLeavesBytesThatAreRefusedAsARequest()
    {
        var test = new TestConnection();

        await test.SendAsync("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nabGARBAGE\r\n\r\n");
        List<(int Status, string Body)> answers = TestConnection.Answers(await test.ReadToCloseAsync());

        Assert.Equal(2, answers.Count);
        Assert.Equal((200, "ab"), answers[0]);
        Assert.Equal(400, answers[1].Status);
        Assert.Contains("METHOD /path HTTP/1.1", TestApi.ErrorOf(answers[1].Body));
        await test.AssertEndedCleanlyAsync();
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("GET /ping HTTP/1.1\r\nHost: x\r\n", "X-Endless: 01234567890123456789012345678901234567890123456789\r\n", 431)]
    [InlineData("GET /ping HTTP/1.1\r\nHost: x\r\nX-Endless: ", "01234567890123456789012345678901234567890123456789", 431)]
    [InlineData("GET /", "0123456789012345678901234567890123456789", 414)]
    public async Task AnEndlessHeadIsRefusedOnceItPassesTheLimit(string start, string forever, int expected)
    {
        var test = new TestConnection();
        using var stop = new CancellationTokenSource();
        long sent = 0;
        Task writer = Task.Run(async () =>
        {
            try
            {
                await test.SendAsync(start);
                byte[] piece = Encoding.ASCII.GetBytes(forever);
                while (!stop.IsCancellationRequested && sent < 64L * 1024 * 1024)
                {
                    await test.Client.WriteAsync(piece, stop.Token);
                    sent += piece.Length;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
            {
                // The server closed.
            }
        });

        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));
        await stop.CancelAsync();
        await writer;

        Assert.Equal(expected, status);
        Assert.Contains(expected == 414 ? "longer than 4096 bytes" : "longer than 16384 bytes in all", TestApi.ErrorOf(body));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AClientThatConnectsAndStaysSilentIsClosedQuietly()
    {
        var test = new TestConnection(TestConnection.QuickTimeouts);
        var clock = Stopwatch.StartNew();

        string output = await test.ReadToCloseAsync();

        Assert.Empty(output);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"closed after {clock.Elapsed}");
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AClientThatPipelinesButNeverReadsDoesNotHoldItsSlot()
    {
        var test = new TestConnection(TestConnection.QuickTimeouts);

        // About 100 bytes an answer: more than the 64 KiB the pipe holds before writes wait.
        await test.SendAsync(string.Concat(Enumerable.Repeat("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", 1500)));

        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnIdleKeepAliveConnectionIsClosedAfterItsTimeout()
    {
        var test = new TestConnection(TestConnection.QuickTimeouts);

        await test.SendAsync("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
        var clock = Stopwatch.StartNew();
        string output = await test.ReadToCloseAsync();

        Assert.Equal([(200, "pong")], TestConnection.Answers(output));
        Assert.DoesNotContain("Connection: close", output);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"closed after {clock.Elapsed}");
        await test.AssertEndedCleanlyAsync();
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("10000000000000000", "a chunk size overflows 64 bits")] // 2^64
    [InlineData("fffffffffffffffff", "a chunk size overflows 64 bits")]
    [InlineData("zz", "a chunk size is not a hexadecimal number")]
    [InlineData("3\r\nabcd", "a chunk is longer than its size says")]
    public async Task AMalformedChunkIs400AndCloses(string chunk, string reason)
    {
        var test = new TestConnection();

        await test.SendAsync($"PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}\r\n0\r\n\r\n");
        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));

        Assert.Equal(400, status);
        Assert.Equal($"the chunked request body of PUT /echo is malformed: {reason}", TestApi.ErrorOf(body));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AChunkedBodyIsReassembledAndTheConnectionCarriesOn()
    {
        var test = new TestConnection();

        await test.SendAsync(
            "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n" +
            "GET /ping HTTP/1.0\r\n\r\n");
        string output = await test.ReadToCloseAsync();

        Assert.Equal([(200, "abcde"), (200, "pong")], TestConnection.Answers(output));
        await test.AssertEndedCleanlyAsync();
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("Content-Length: 1025\r\n\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n401\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n")]
    public async Task ABodyOverTheLimitIs413BeforeItIsSent(string framing)
    {
        var test = new TestConnection();

        await test.SendAsync("PUT /echo HTTP/1.1\r\nHost: x\r\n" + framing + "a");
        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));

        Assert.Equal(413, status);
        Assert.Equal("request body too large: PUT /echo takes at most 1024 bytes", TestApi.ErrorOf(body));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnHttp10ClientGetsOneAnswerAndTheConnectionCloses()
    {
        var test = new TestConnection();

        await test.SendAsync("GET /ping HTTP/1.0\r\n\r\nGET /ping HTTP/1.0\r\n\r\n");
        string output = await test.ReadToCloseAsync();

        Assert.Equal([(200, "pong")], TestConnection.Answers(output));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", output);
        Assert.Contains("Connection: close\r\n", output);
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ConnectionCloseEndsTheConnectionAfterTheAnswer()
    {
        var test = new TestConnection();

        await test.SendAsync("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
        string output = await test.ReadToCloseAsync();

        Assert.Equal([(200, "pong")], TestConnection.Answers(output));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ExpectContinueIsAnsweredBeforeTheBody()
    {
        var test = new TestConnection();

        await test.SendAsync("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
        byte[] interim = new byte[64];
        int read = await test.Client.ReadAsync(interim);
        await test.SendAsync("abc");
        string rest = await test.ReadToCloseAsync();

        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", Encoding.ASCII.GetString(interim, 0, read));
        Assert.Equal([(200, "abc")], TestConnection.Answers(rest));
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AConnectionThatEndsInsideAHeadIsAnswered400()
    {
        var test = new TestConnection();

        await test.SendAsync("GET /ping HTTP/1.1\r\nHo");
        test.CloseSend();
        (int status, string body) = Assert.Single(TestConnection.Answers(await test.ReadToCloseAsync()));

        Assert.Equal(400, status);
        Assert.Contains("ended inside a request head", TestApi.ErrorOf(body));
        await test.AssertEndedCleanlyAsync();
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("\0\0\0\0\u00ff\u00fe\r\n\r\n", 400)]
    [InlineData("GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)]
    [InlineData("GET /ping HTTP/3\r\nHost: x\r\n\r\n", 505)]
    public async Task EveryMalformedHeadGetsAJsonErrorAndTheConnectionCloses(string request, int expected)
    {
        var test = new TestConnection();

        await test.SendAsync(request);
        string output = await test.ReadToCloseAsync();

        (int status, string body) = Assert.Single(TestConnection.Answers(output));
        Assert.Equal(expected, status);
        Assert.StartsWith("bad request: ", TestApi.ErrorOf(body));
        Assert.Contains("Content-Type: application/json\r\n", output);
        await test.AssertEndedCleanlyAsync();
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AbortEndsAnIdleConnectionAtOnce()
    {
        var test = new TestConnection();

        test.Connection.Abort();

        Assert.Empty(await test.ReadToCloseAsync());
        await test.AssertEndedCleanlyAsync();
    }
}
