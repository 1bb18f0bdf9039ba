using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>The socket file is never reachable with a wider mode than asked for. Its watcher spins
/// a core, so it runs alone (<see cref="SerialCollection"/>) rather than skew other tests' timing.</summary>
[Collection(SerialCollection.Name)]
public sealed class SocketModeRaceTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheSocketNeverAppearsWithAWiderModeThanOwnerOnly()
    {
        // A watcher spins on the path while servers start: the socket must be 0600 from the first
        // moment it exists there, not chmod-ed after the server listens.
        using var directory = new TempDirectory();
        var seen = new HashSet<UnixFileMode>();
        using var stop = new CancellationTokenSource();
        using var spinning = new ManualResetEventSlim();
        // A thread of its own, so a busy thread pool cannot starve the watcher.
        var watcher = new Thread(() =>
        {
            spinning.Set();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (File.Exists(directory.SocketPath))
                    {
                        UnixFileMode mode = File.GetUnixFileMode(directory.SocketPath);
                        lock (seen)
                        {
                            seen.Add(mode);
                        }
                    }
                }
                catch (IOException)
                {
                    // Removed between the two calls.
                }
            }
        }) { IsBackground = true };
        watcher.Start();
        spinning.Wait();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                ApiServer server = await ApiServer.StartAsync(directory.SocketPath, new FakeVmController());
                await server.DisposeAsync();
            }
        }
        finally
        {
            await stop.CancelAsync();
            watcher.Join();
        }

        lock (seen)
        {
            Assert.Equal([UnixFileMode.UserRead | UnixFileMode.UserWrite], seen);
        }
        // Nothing is left behind: no socket, no private directory.
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }
}
