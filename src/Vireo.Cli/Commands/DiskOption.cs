using System.Globalization;

namespace Vireo.Cli;

/// <summary>One `vireo run --disk path=FILE[,readonly][,direct][,io=ENGINE][,id=NAME][,slot=N]`: a raw image
/// the guest sees as a virtio block device.</summary>
/// <param name="Path">The raw image file.</param>
/// <param name="ReadOnly">The guest may not write (it sees VIRTIO_BLK_F_RO; the file is opened read-only).</param>
/// <param name="Direct">I/O bypasses the host's page cache (O_DIRECT).</param>
/// <param name="Id">The device's name in vm.info and events, and its virtio serial (GET_ID).</param>
/// <param name="Slot">The PCI slot, 1 to 31, or null for the lowest free one.</param>
/// <param name="Io">Where reads and writes run: auto, uring, threads or sync.</param>
internal sealed record DiskOption(string Path, bool ReadOnly, bool Direct, string Id, int? Slot, Vmm.DiskIo Io = Vmm.DiskIo.Auto)
{
    public const string Syntax = "path=FILE[,readonly][,direct][,io=auto|uring|threads|sync][,id=NAME][,slot=N]";

    /// <summary>The id a disk gets when none is given: by position among the --disk options.</summary>
    public static string DefaultId(int position) => string.Create(CultureInfo.InvariantCulture, $"disk{position}");

    /// <summary>Every --disk value, in order; files and ids must differ between them.</summary>
    /// <exception cref="FormatException">A value is malformed or clashes with another; the message says which.</exception>
    public static IReadOnlyList<DiskOption> ParseAll(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var disks = new List<DiskOption>();
        for (int i = 0; i < values.Count; i++)
        {
            DiskOption disk = Parse(values[i], i);
            if (disks.Any(d => System.IO.Path.GetFullPath(d.Path) == System.IO.Path.GetFullPath(disk.Path)))
            {
                throw new FormatException($"--disk {disk.Path} is given twice; one image backs one disk");
            }
            if (disks.Any(d => d.Id == disk.Id))
            {
                throw new FormatException($"--disk id '{disk.Id}' is given twice; give each disk its own id=NAME");
            }
            if (disk.Slot is int slot && disks.Any(d => d.Slot == slot))
            {
                throw new FormatException($"--disk slot {slot} is given twice; give each disk its own slot=N or leave it out");
            }
            disks.Add(disk);
        }
        return disks;
    }

    private static DiskOption Parse(string value, int position)
    {
        (string target, Dictionary<string, string> settings) = DeviceOptionText.Split(
            "--disk", value, Syntax, "the image file", ["id=NAME", "slot=N", "readonly", "direct", "io=ENGINE"]);
        // cloud-hypervisor spells the file path=FILE; a bare FILE is taken as well.
        string path = target.StartsWith("path=", StringComparison.Ordinal) ? target["path=".Length..] : target;
        if (path.Length == 0)
        {
            throw new FormatException($"--disk takes {Syntax}, not '{value}': path= names no file");
        }
        return new DiskOption(
            path,
            settings.ContainsKey("readonly"),
            settings.ContainsKey("direct"),
            settings.TryGetValue("id", out string? id) ? DeviceOptionText.Id("--disk", id) : DefaultId(position),
            settings.TryGetValue("slot", out string? slot) ? DeviceOptionText.Slot("--disk", slot) : null,
            settings.TryGetValue("io", out string? io) ? ParseIo(io) : Vmm.DiskIo.Auto);
    }

    private static Vmm.DiskIo ParseIo(string value) => value switch
    {
        "auto" => Vmm.DiskIo.Auto,
        "uring" => Vmm.DiskIo.Uring,
        "threads" => Vmm.DiskIo.Threads,
        "sync" => Vmm.DiskIo.Sync,
        _ => throw new FormatException($"--disk io= takes auto, uring, threads or sync, not '{value}'"),
    };
}
