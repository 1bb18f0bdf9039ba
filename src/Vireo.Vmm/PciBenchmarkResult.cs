namespace Vireo.Vmm;

/// <summary>What <see cref="PciBenchmark"/> measured: each time in microseconds per operation,
/// the median over the measured rounds.</summary>
/// <param name="Rounds">Measured rounds (after one warm-up round).</param>
/// <param name="Reads">Trapped reads, and reference reads, per round.</param>
/// <param name="Writes">32-bit writes per round to the mapped buffer, and to guest RAM.</param>
/// <param name="Transfers">DMAs per round, each of <paramref name="TransferBytes"/>.</param>
/// <param name="TransferBytes">Bytes one DMA (and one reference copy) moves.</param>
/// <param name="ReferenceReadUs">One guest read of a trivial device on Vireo's MMIO bus: an
/// MMIO exit to the VMM and back.</param>
/// <param name="TrappedReadUs">One guest read of the sample's BAR0 ID register: MMIO exit,
/// proxy, REGION_READ to the server and its reply.</param>
/// <param name="RamWriteUs">One guest 32-bit write to guest RAM.</param>
/// <param name="MappedWriteUs">One guest 32-bit write to BAR2's buffer, mapped into the guest.</param>
/// <param name="DmaUs">One DMA of guest RAM into the device's buffer, programmed through the
/// proxy's BAR0 path (four register writes) and polled for completion.</param>
/// <param name="CopyUs">One memcpy of the same bytes in the VMM's process.</param>
/// <param name="PollsPerTransfer">COMPLETED reads per DMA, on average: with the four register
/// writes, the REGION round trips one DMA costs besides the copy.</param>
public sealed record PciBenchmarkResult(
    int Rounds,
    int Reads,
    long Writes,
    int Transfers,
    int TransferBytes,
    double ReferenceReadUs,
    double TrappedReadUs,
    double RamWriteUs,
    double MappedWriteUs,
    double DmaUs,
    double CopyUs,
    double PollsPerTransfer)
{
    /// <summary>How many reference MMIO exits one trapped BAR read costs.</summary>
    public double TrappedReadRatio => TrappedReadUs / ReferenceReadUs;

    /// <summary>How many RAM writes one mapped-buffer write costs (about 1: neither exits).</summary>
    public double MappedWriteRatio => MappedWriteUs / RamWriteUs;

    /// <summary>DMA throughput, MB/s (10^6 bytes).</summary>
    public double DmaMegabytesPerSecond => TransferBytes / DmaUs;

    /// <summary>memcpy throughput of the same bytes, MB/s.</summary>
    public double CopyMegabytesPerSecond => TransferBytes / CopyUs;

    /// <summary>DMA throughput as a fraction of memcpy's (below 1: higher is better).</summary>
    public double DmaThroughputRatio => CopyUs / DmaUs;
}
