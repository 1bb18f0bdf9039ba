using System.CommandLine;
using Vireo.Cli.Common;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo acpi dump --out DIR [--cpus N] [--memory SIZE]`.</summary>
internal static class AcpiCommand
{
    public static Command Create()
    {
        var acpi = new VireoCommand("acpi", "Inspect the ACPI tables `vireo run` builds: `acpi dump`.");
        var set = new RunOptionSet();
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Directory to write the tables into (created if missing).",
            Required = true,
        };
        var dump = new VireoCommand(
            "dump",
            "Write the ACPI tables `vireo run` would build, one binary file per table.",
            """
            Writes every ACPI table of the machine `vireo run` would build with the same
            flags, one binary file per table (DSDT.dat, FACP.dat, APIC.dat, FACS.dat,
            XSDT.dat, RSDP.dat), for inspection with ACPICA: `iasl -d DIR/DSDT.dat`.
            The DSDT is byte for byte what the guest finds in /sys/firmware/acpi/tables/DSDT.
            """) { output };
        set.AddMachineShapeTo(dump);
        dump.SetAction(result => DumpAsync(result.GetRequiredValue(output), set.Bind(result), result.InvocationConfiguration.Output));
        acpi.Subcommands.Add(dump);
        CliRunner.MakeGroup(acpi);
        return acpi;
    }

    private static async Task<int> DumpAsync(string output, RunOptions options, TextWriter stdout)
    {
        // CreateDirectory would say only "The file ... already exists".
        if (File.Exists(output))
        {
            throw new UsageException(
                $"acpi dump: --out {output} is a file, not a directory: give a directory to write the tables into (it is created if missing)");
        }
        Directory.CreateDirectory(output);
        AcpiPlatform platform = MachineBuilder.LinuxAcpiTables(options.ToConfig(kernel: "", initramfs: null));
        foreach (string file in platform.WriteFiles(output))
        {
            await stdout.WriteLineAsync(file);
        }
        return 0;
    }
}
