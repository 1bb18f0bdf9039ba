using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo acpi dump --out DIR [run options]`.</summary>
internal static class AcpiCommand
{
    public const string Help = """
        Usage: vireo acpi dump --out DIR [--cpus N] [--memory SIZE]

        Writes every ACPI table of the machine `vireo run` would build with the same
        flags, one binary file per table (DSDT.dat, FACP.dat, APIC.dat, FACS.dat,
        XSDT.dat, RSDP.dat), for inspection with ACPICA: `iasl -d DIR/DSDT.dat`.
        The DSDT is byte for byte what the guest finds in /sys/firmware/acpi/tables/DSDT.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "dump")
        {
            throw new UsageException($"acpi: unknown command '{args[0]}'; the commands are: dump");
        }
        var reader = new ArgReader("acpi dump", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        string output = reader.Option("--out") ?? throw new UsageException("acpi dump: --out DIR is required");
        RunOptions options = RunOptions.Parse(reader);
        reader.Done();

        Directory.CreateDirectory(output);
        AcpiPlatform platform = MachineBuilder.LinuxAcpiTables(options.ToConfig(kernel: "", initramfs: null));
        foreach (string file in platform.WriteFiles(output))
        {
            await stdout.WriteLineAsync(file);
        }
        return 0;
    }
}
