namespace Vireo.Lab;

/// <summary>The parsed lines of one timed run.</summary>
internal sealed record BootBenchmarkRunOutput(
    double? ToMarkerSeconds,
    double? GuestUptimeAtMarkerSeconds,
    double? ToExitSeconds,
    int? ExitStatus,
    IReadOnlyList<string> OtherLines);
