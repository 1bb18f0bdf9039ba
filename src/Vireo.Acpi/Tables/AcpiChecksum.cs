namespace Vireo.Acpi;

/// <summary>ACPI checksums: all bytes of the covered range, checksum included, sum to zero
/// modulo 256 (ACPI 6.5 §5.2.5.3, §5.2.6).</summary>
internal static class AcpiChecksum
{
    public static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }

    public static bool IsValid(ReadOnlySpan<byte> bytes) => Sum(bytes) == 0;

    /// <summary>Rewrites the checksum byte at <paramref name="offset"/> so <paramref name="covered"/> sums to zero.</summary>
    public static void Update(Span<byte> covered, int offset)
    {
        covered[offset] = 0;
        covered[offset] = (byte)(0 - Sum(covered));
    }
}
