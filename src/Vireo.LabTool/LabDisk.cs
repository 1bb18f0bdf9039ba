using System.Globalization;
using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>One `vireo-lab run --disk path=FILE[,OPTIONS]`: the host image is copied into L1 (at
/// <see cref="PathInL1"/>) and vireo there gets `--disk path=PATH_IN_L1[,OPTIONS]`. The guest
/// writes to the copy; the host file is never changed.</summary>
/// <param name="HostPath">The image on this host.</param>
/// <param name="Options">What followed the path (readonly, id=NAME, ...), for vireo in L1 to check.</param>
/// <param name="Index">Its position among the --disk options.</param>
internal sealed record LabDisk(string HostPath, string Options, int Index)
{
    /// <summary>The largest image the lab copies: L1's RAM holds it (L1 has a few GiB, its initramfs lives there too).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Where the copy lies in L1.</summary>
    public string PathInL1 => string.Create(CultureInfo.InvariantCulture, $"/l2/disk{Index}.raw");

    /// <summary>vireo run's --disk value in L1.</summary>
    public string VireoRunOption => $"path={PathInL1}{Options}";

    /// <summary>Every --disk value, in order.</summary>
    /// <exception cref="UsageException">A value names no file.</exception>
    public static IReadOnlyList<LabDisk> ParseAll(IReadOnlyList<string> values)
    {
        var disks = new List<LabDisk>();
        for (int i = 0; i < values.Count; i++)
        {
            string value = values[i];
            int comma = value.IndexOf(',', StringComparison.Ordinal);
            string target = comma < 0 ? value : value[..comma];
            string path = target.StartsWith("path=", StringComparison.Ordinal) ? target["path=".Length..] : target;
            if (path.Length == 0)
            {
                throw new UsageException($"run: --disk takes path=FILE[,readonly][,direct][,io=ENGINE][,id=NAME][,slot=N], not '{value}'");
            }
            disks.Add(new LabDisk(path, comma < 0 ? "" : value[comma..], i));
        }
        return disks;
    }

    /// <summary>The image exists and fits the lab, or a clear error naming it.</summary>
    /// <exception cref="LabException">It does not.</exception>
    public void Check()
    {
        var file = new FileInfo(HostPath);
        if (!file.Exists)
        {
            throw new LabException($"disk image {HostPath} does not exist (--disk): create one first (e.g. `truncate -s 64M {HostPath} && mkfs.ext4 {HostPath}`)");
        }
        if (file.Length > MaxBytes)
        {
            throw new LabException($"disk image {HostPath} is {file.Length >> 20} MiB; the lab copies images into L1's RAM and takes up to {MaxBytes >> 20} MiB (use a smaller image in the lab, or run vireo on an Intel or AMD host)");
        }
    }
}
