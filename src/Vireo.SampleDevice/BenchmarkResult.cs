using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vireo.SampleDevice;

/// <summary>What <see cref="Benchmark"/> measured: each vfio-user figure next to the reference
/// measured in the same run, so only the ratios carry from one machine to another.</summary>
public sealed record BenchmarkResult(
    int RoundTrips,
    int Copies,
    int CopyBytes,
    int Rounds,
    double RegionRoundTripUs,
    double InProcessRoundTripUs,
    double RawSocketRoundTripUs,
    double DmaMappedMiBps,
    double MemcpyMiBps,
    double DmaMessagesMiBps,
    double RawSocketMiBps)
{
    /// <summary>A cross-process REGION_WRITE/READ against a bare socket ping-pong of the same sizes.</summary>
    public double RegionVsRawSocket => RegionRoundTripUs / RawSocketRoundTripUs;

    /// <summary>A cross-process round trip against the same server on a thread of this process.</summary>
    public double CrossVsInProcess => RegionRoundTripUs / InProcessRoundTripUs;

    /// <summary>Copy rate through the server's mmap of guest memory against the same two
    /// memcpys done here.</summary>
    public double DmaMappedVsMemcpy => DmaMappedMiBps / MemcpyMiBps;

    /// <summary>Copy rate through DMA_READ/DMA_WRITE messages against echoing the same bytes over
    /// a bare socket.</summary>
    public double DmaMessagesVsRawSocket => DmaMessagesMiBps / RawSocketMiBps;

    /// <summary>The report as aligned text lines, each figure beside its reference and their ratio.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"vfio-user benchmark: {RoundTrips} round trips, {Copies} copies of {CopyBytes / 1024} KiB per measurement, medians of {Rounds} round(s); client here, server in a child process\n");
        text.Append(CultureInfo.InvariantCulture, $"  region round trip, cross-process    {RegionRoundTripUs,9:F2} us     raw socket ping-pong {RawSocketRoundTripUs,9:F2} us     ratio {RegionVsRawSocket:F2}\n");
        text.Append(CultureInfo.InvariantCulture, $"  region round trip, in-process       {InProcessRoundTripUs,9:F2} us     cross-process / in-process              ratio {CrossVsInProcess:F2}\n");
        text.Append(CultureInfo.InvariantCulture, $"  DMA copy, fd-mapped guest memory    {DmaMappedMiBps,9:F0} MiB/s  memcpy here          {MemcpyMiBps,9:F0} MiB/s  ratio {DmaMappedVsMemcpy:F2}\n");
        text.Append(CultureInfo.InvariantCulture, $"  DMA copy, DMA_READ/WRITE messages   {DmaMessagesMiBps,9:F0} MiB/s  raw socket echo      {RawSocketMiBps,9:F0} MiB/s  ratio {DmaMessagesVsRawSocket:F2}\n");
        return text.ToString();
    }

    /// <summary>Every figure and ratio as one JSON object with camelCase names, for tools that track them.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("roundTrips", RoundTrips);
            json.WriteNumber("copies", Copies);
            json.WriteNumber("copyBytes", CopyBytes);
            json.WriteNumber("rounds", Rounds);
            json.WriteNumber("regionRoundTripUs", RegionRoundTripUs);
            json.WriteNumber("inProcessRoundTripUs", InProcessRoundTripUs);
            json.WriteNumber("rawSocketRoundTripUs", RawSocketRoundTripUs);
            json.WriteNumber("regionVsRawSocket", RegionVsRawSocket);
            json.WriteNumber("crossVsInProcess", CrossVsInProcess);
            json.WriteNumber("dmaMappedMiBps", DmaMappedMiBps);
            json.WriteNumber("memcpyMiBps", MemcpyMiBps);
            json.WriteNumber("dmaMappedVsMemcpy", DmaMappedVsMemcpy);
            json.WriteNumber("dmaMessagesMiBps", DmaMessagesMiBps);
            json.WriteNumber("rawSocketMiBps", RawSocketMiBps);
            json.WriteNumber("dmaMessagesVsRawSocket", DmaMessagesVsRawSocket);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
