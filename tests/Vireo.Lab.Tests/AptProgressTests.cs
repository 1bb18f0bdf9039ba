using Vireo.Lab;

namespace Vireo.Lab.Tests;

public sealed class AptProgressTests
{
    [Fact]
    public void Status_lines_become_a_percentage_every_ten_percent()
    {
        var output = new StringWriter();
        var progress = new AptProgress(output);
        foreach (string line in (string[])[
            "dlstatus:1:0.0000:Retrieving file 1 of 2",
            "dlstatus:1:4.2000:Retrieving file 1 of 2",
            "Get:1 http://deb.debian.org/debian bookworm/main amd64 qemu-system-x86 [9281 kB]",
            "dlstatus:1:12.5000:Retrieving file 1 of 2",
            "dlstatus:1:19.0000:Retrieving file 1 of 2",
            "dlstatus:2:100.0000:Retrieving file 2 of 2",
            "pmstatus:qemu-system-x86:20.0000:Unpacking qemu-system-x86 (amd64)",
        ])
        {
            progress.OnLine(line);
        }
        Assert.Equal(
            "  apt download   0%: Retrieving file 1 of 2\n" +
            "  Get:1 http://deb.debian.org/debian bookworm/main amd64 qemu-system-x86 [9281 kB]\n" +
            "  apt download  12%: Retrieving file 1 of 2\n" +
            "  apt download 100%: Retrieving file 2 of 2\n" +
            "  apt install  20%: Unpacking qemu-system-x86 (amd64)\n",
            output.ToString().ReplaceLineEndings("\n"));
    }
}
