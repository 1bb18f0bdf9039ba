using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>How every L1 fixture ends its L1.</summary>
internal static class L1PowerOff
{
    /// <summary>Powers <paramref name="machine"/> off and disposes it. QEMU exiting nonzero after
    /// the poweroff fails the fixture, with L1's diagnostics: a clean shutdown is part of what the
    /// lab checks.</summary>
    public static async Task ShutdownAndDisposeAsync(L1Machine machine)
    {
        int status = await machine.ShutdownAsync();
        await machine.DisposeAsync();
        if (status != 0)
        {
            throw new InvalidOperationException($"QEMU exited {status} after poweroff\n{machine.Diagnostics()}");
        }
    }
}
