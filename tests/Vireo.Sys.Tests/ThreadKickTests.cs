namespace Vireo.Sys.Tests;

public sealed class ThreadKickTests
{
    [Fact]
    public void KicksToAThreadThatHasNotDrainedThemDoNotPileUp()
    {
        // More kicks than any RLIMIT_SIGPENDING: with a queuing (real-time) signal the kernel
        // refuses them with EAGAIN long before this count.
        int kicks = Math.Max(200_000, PendingSignalLimit() + 1000);
        ThreadKick? kick = null;
        using var ready = new ManualResetEventSlim();
        using var kicked = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            kick = ThreadKick.ForCurrentThread(out _);
            ready.Set();
            kicked.Wait();
            ThreadKick.DrainCurrentThread();
        });
        thread.Start();
        ready.Wait();

        for (int i = 0; i < kicks; i++)
        {
            kick!.Kick();
        }
        kicked.Set();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
    }

    private static int PendingSignalLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max pending signals", StringComparison.Ordinal))
            {
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return int.TryParse(words[3], out int limit) ? limit : 0;
            }
        }
        return 0;
    }
}
