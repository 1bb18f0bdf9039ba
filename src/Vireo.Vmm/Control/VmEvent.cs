namespace Vireo.Vmm;

/// <summary>One VM event, sent to <c>vm.events</c> clients as one line of JSON.</summary>
/// <param name="Event">What happened; the names Vireo uses are in <see cref="VmEventNames"/>.</param>
/// <param name="Timestamp">Wall-clock time (UTC) when it was published.</param>
/// <param name="UptimeMs">Monotonic milliseconds since the hub was created (the VM started),
/// for measuring intervals between events without wall-clock jumps.</param>
/// <param name="Properties">Event details as strings, or null.</param>
public sealed record VmEvent(
    string Event,
    DateTimeOffset Timestamp,
    double UptimeMs,
    IReadOnlyDictionary<string, string>? Properties = null);
