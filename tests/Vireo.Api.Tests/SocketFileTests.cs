using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>What the server does with the socket path before, during and after serving.</summary>
public sealed class SocketFileTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AStaleSocketLeftByADeadServerIsReplaced()
    {
        using var directory = new TempDirectory();
        StaleSocket.Create(directory.SocketPath);
        Assert.True(File.Exists(directory.SocketPath));

        await using ApiServer server = await ApiServer.StartAsync(directory.SocketPath, new FakeVmController());
        using var client = new ApiClient(directory.SocketPath, TestApi.Timeout);

        Assert.Equal(Environment.ProcessId, (await client.PingAsync()).Pid);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ASecondServerOnALiveSocketIsRefusedAndTheFirstKeepsServing()
    {
        await using TestApi api = await TestApi.StartAsync();

        var e = await Assert.ThrowsAsync<IOException>(() => ApiServer.StartAsync(api.SocketPath, new FakeVmController()));

        Assert.Contains("already listening", e.Message);
        Assert.Contains("choose another --api-socket path", e.Message);
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AFileThatIsNotASocketIsLeftAlone()
    {
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(directory.SocketPath, "precious");

        var e = await Assert.ThrowsAsync<IOException>(() => ApiServer.StartAsync(directory.SocketPath, new FakeVmController()));

        Assert.Contains("is not a socket", e.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(directory.SocketPath));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ADirectoryOrAMissingParentIsRefusedWithTheReason()
    {
        using var directory = new TempDirectory();

        var isDirectory = await Assert.ThrowsAsync<IOException>(() => ApiServer.StartAsync(directory.Path, new FakeVmController()));
        var noParent = await Assert.ThrowsAsync<IOException>(() =>
            ApiServer.StartAsync(Path.Combine(directory.Path, "missing", "api.sock"), new FakeVmController()));
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() =>
            ApiServer.StartAsync(Path.Combine(directory.Path, new string('s', 120)), new FakeVmController()));

        Assert.Contains("is a directory", isDirectory.Message);
        Assert.Contains("does not exist", noParent.Message);
        Assert.Contains("longer than 107 bytes", tooLong.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task StoppingClosesIdleConnectionsAtOnceAndLetsARequestInProgressFinish()
    {
        await using TestApi api = await TestApi.StartAsync();
        var release = new TaskCompletionSource();
        api.Vm.Gate = release.Task;
        using var idle = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await idle.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(api.SocketPath));
        Task<(int Status, string Body)> pause = api.SendAsync("PUT", "/api/v1/vm.pause");
        await api.Vm.Held.Task.WaitAsync(TestApi.Timeout);

        Task stopping = api.Server.DisposeAsync().AsTask();
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        int idleRead = await idle.ReceiveAsync(new byte[16], System.Net.Sockets.SocketFlags.None, cts.Token);
        bool stoppedEarly = stopping.IsCompleted;
        release.SetResult();
        (int status, _) = await pause;
        await stopping.WaitAsync(TestApi.Timeout);

        Assert.Equal(0, idleRead);
        Assert.False(stoppedEarly, "the server stopped before the request in progress was answered");
        Assert.Equal(204, status);
        Assert.Equal(["pause"], api.Vm.Calls);
        Assert.False(File.Exists(api.SocketPath));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AFailedStartIsReportedThroughTheTask()
    {
        using var directory = new TempDirectory();

        Task<ApiServer> start = ApiServer.StartAsync(directory.Path, new FakeVmController());

        await Assert.ThrowsAsync<IOException>(() => start);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheSocketIsOwnerOnlyAndGoesAwayWithTheServer()
    {
        using var directory = new TempDirectory();
        ApiServer server = await ApiServer.StartAsync(directory.SocketPath, new FakeVmController());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.SocketPath));
        await server.DisposeAsync();
        await server.DisposeAsync(); // twice is harmless

        Assert.False(File.Exists(directory.SocketPath));
        await using ApiServer again = await ApiServer.StartAsync(directory.SocketPath, new FakeVmController());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheSocketGetsTheModeOwnerAndGroupAskedFor()
    {
        using var directory = new TempDirectory();
        // Root may give the socket any ids; anyone else may keep their own.
        uint user = Environment.IsPrivilegedProcess ? 4242u : CurrentId("Uid");
        uint group = Environment.IsPrivilegedProcess ? 4343u : CurrentId("Gid");
        var options = new ApiServerOptions
        {
            SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            SocketUserId = user,
            SocketGroupId = group,
        };

        await using ApiServer server = await ApiServer.StartAsync(directory.SocketPath, new FakeVmController(), options);

        Assert.Equal(options.SocketMode, File.GetUnixFileMode(directory.SocketPath));
        Assert.Equal($"{user}:{group}", Stat("%u:%g", directory.SocketPath));
        using var client = new ApiClient(directory.SocketPath, TestApi.Timeout);
        Assert.Equal(Environment.ProcessId, (await client.PingAsync()).Pid);
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData(0)]
    [InlineData(0b111_000_000)] // 0700: execute means nothing on a socket
    [InlineData(0b100_110_000_000)] // setuid
    public async Task AModeThatIsNotReadWriteBitsIsRefusedAndNothingIsCreated(int mode)
    {
        using var directory = new TempDirectory();

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            ApiServer.StartAsync(directory.SocketPath, new FakeVmController(), new ApiServerOptions { SocketMode = (UnixFileMode)mode }));

        Assert.Contains("read/write bits only", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    private static uint CurrentId(string field) =>
        uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split('\t')[1],
            System.Globalization.CultureInfo.InvariantCulture);

    private static string Stat(string format, string path)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", format, path])
        {
            RedirectStandardOutput = true,
        })!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheClientSaysHowToStartAServerWhenNoneListens()
    {
        using var directory = new TempDirectory();
        using var missing = new ApiClient(directory.SocketPath, TestApi.Timeout);
        StaleSocket.Create(Path.Combine(directory.Path, "stale.sock"));
        using var stale = new ApiClient(Path.Combine(directory.Path, "stale.sock"), TestApi.Timeout);

        var noFile = await Assert.ThrowsAsync<ApiClientException>(() => missing.GetInfoAsync());
        var refused = await Assert.ThrowsAsync<ApiClientException>(() => stale.PauseAsync());

        Assert.Null(noFile.StatusCode);
        Assert.Equal($"no Vireo API at {directory.SocketPath}: is `vireo run --api-socket {directory.SocketPath}` running?", noFile.Message);
        Assert.Null(refused.StatusCode);
        Assert.StartsWith("no Vireo API at ", refused.Message);
        // The connect's own error, no longer wrapped in HttpClient's HttpRequestException.
        var cause = Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException);
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, cause.SocketErrorCode);
    }
}
