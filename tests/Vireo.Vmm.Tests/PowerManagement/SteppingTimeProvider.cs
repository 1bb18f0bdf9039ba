namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>A clock that moves one millisecond each time it is read, so every event gets its own
/// timestamp and their order shows.</summary>
internal sealed class SteppingTimeProvider : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private long _reads;

    public override DateTimeOffset GetUtcNow() => Start.AddMilliseconds(Interlocked.Increment(ref _reads));
}
