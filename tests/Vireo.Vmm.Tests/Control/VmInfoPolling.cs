namespace Vireo.Vmm.Tests;

/// <summary>Asks a running control loop for <c>vm.info</c> until it shows what a test waits for.</summary>
internal static class VmInfoPolling
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>The first <see cref="VmInfo"/> that satisfies <paramref name="condition"/>;
    /// fails the test after 10 s.</summary>
    public static async Task<VmInfo> WaitForAsync(ControlLoop loop, Func<VmInfo, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + s_timeout;
        while (true)
        {
            VmInfo info = await loop.SendAsync(new GetVmInfo());
            if (condition(info))
            {
                return info;
            }
            Assert.True(DateTime.UtcNow < deadline, "vm.info never showed the condition");
            await Task.Delay(20);
        }
    }
}
