using System.Collections.Concurrent;
using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>An <see cref="IVmController"/> that records what it was asked, with a GPE block of
/// 16 GPEs and an error to throw on demand.</summary>
internal sealed class FakeVmController : IVmController
{
    public const int GpeCount = 16;

    private readonly ConcurrentQueue<string> _calls = new();

    public VmEventHub Events { get; } = new();

    public VmInfo InfoToReturn { get; set; } =
        new(VmState.Running, "s0", 2, 256L << 20, "/boot/vmlinuz", "console=ttyS0", 1234);

    /// <summary>Thrown by the next action (not by Info), then cleared.</summary>
    public Exception? ThrowNext { get; set; }

    public IReadOnlyList<string> Calls => [.. _calls];

    public VmInfo Info() => InfoToReturn;

    public void PowerButton() => Record("power-button");

    public void Shutdown(bool force) => Record(force ? "shutdown force" : "shutdown");

    public void Pause() => Record("pause");

    public void Resume() => Record("resume");

    public void RaiseGpe(int gpe)
    {
        if (gpe >= GpeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(gpe), gpe, $"this VM has GPEs 0 to {GpeCount - 1}");
        }
        Record($"gpe {gpe}");
    }

    public void Wake(TimeSpan? delay) => Record(delay is TimeSpan d ? $"wake {d.TotalMilliseconds}ms" : "wake");

    private void Record(string call)
    {
        Exception? e = ThrowNext;
        if (e is not null)
        {
            ThrowNext = null;
            throw e;
        }
        _calls.Enqueue(call);
    }
}
