namespace Vireo.Sys.Tests;

public sealed class HostRandomTests
{
    [Fact]
    public void Fill_writes_every_byte_and_two_draws_differ()
    {
        // 1 MiB: every 4 KiB page must have been written (a page of zeros from a fill that
        // stopped short has probability 2^-32768).
        byte[] first = new byte[1 << 20];
        byte[] second = new byte[1 << 20];
        HostRandom.Fill(first);
        HostRandom.Fill(second);

        Assert.NotEqual(first, second);
        for (int page = 0; page < first.Length; page += 4096)
        {
            Assert.Contains(first.AsSpan(page, 4096).ToArray(), b => b != 0);
        }
    }

    [Fact]
    public void Fill_of_nothing_is_nothing()
    {
        HostRandom.Fill([]);
    }
}
