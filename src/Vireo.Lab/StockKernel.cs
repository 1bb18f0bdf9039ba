using System.Text.RegularExpressions;

namespace Vireo.Lab;

/// <summary>A stock Debian kernel package unpacked in the lab cache: the bzImage and its
/// modules. The same kernel serves as L1 (under QEMU) and later as L2 (under Vireo).</summary>
public sealed partial class StockKernel
{
    /// <summary>Debian's metapackage; it depends on exactly one versioned image package.</summary>
    public const string CloudMetaPackage = "linux-image-cloud-amd64";

    /// <summary>The generic flavour's metapackage (linux-image-6.1.0-NN-amd64 behind it).</summary>
    public const string GenericMetaPackage = "linux-image-amd64";

    /// <summary>Debian 12's 6.12 cloud metapackage (linux-image-6.12.NNN+deb12-cloud-amd64
    /// behind it), for <see cref="L1Kernel.Linux612"/>.</summary>
    public const string Linux612CloudMetaPackage = "linux-image-6.12-cloud-amd64";

    private StockKernel(string package, string root, string release)
    {
        Package = package;
        Root = root;
        Release = release;
        Vmlinuz = Path.Combine(root, "boot", $"vmlinuz-{release}");
        if (!File.Exists(Vmlinuz))
        {
            throw new LabException($"{package} unpacked in {root} has no boot/vmlinuz-{release}");
        }
    }

    /// <summary>The versioned package, e.g. linux-image-6.1.0-56-cloud-amd64.</summary>
    public string Package { get; }

    /// <summary>The kernel release (uname -r), e.g. 6.1.0-56-cloud-amd64.</summary>
    public string Release { get; }

    /// <summary>The unpacked package (dpkg -x).</summary>
    public string Root { get; }

    /// <summary>The kernel image's path in <see cref="Root"/>.</summary>
    public string Vmlinuz { get; }

    /// <summary>The kernel's modules directory in <see cref="Root"/> (lib/modules/<c>Release</c>).</summary>
    public string ModuleDirectory => Path.Combine(Root, "lib", "modules", Release);

    /// <summary>The modules L1 needs for a real /dev/kvm, in load order (kvm needs irqbypass,
    /// kvm-amd needs kvm).</summary>
    public IReadOnlyList<string> KvmAmdModules => [Module("irqbypass"), Module("kvm"), Module("kvm-amd")];

    /// <summary>The modules a VMM needs to own a PCI device through VFIO (vfio-pci and the
    /// type1 IOMMU backend, which vfio only soft-depends on, and iommufd where the kernel has it
    /// as a module), with everything they depend on, in load order.</summary>
    public IReadOnlyList<string> VfioPciModules =>
        ModulesWithDependencies([.. HasModule("iommufd") ? ["iommufd"] : (string[])[], "vfio", "vfio_iommu_type1", "vfio-pci"]);

    /// <summary>Whether the kernel was built with iommufd (CONFIG_IOMMUFD, built in or a module),
    /// so an L1 on it has /dev/iommu and, with CONFIG_VFIO_DEVICE_CDEV, /dev/vfio/devices.</summary>
    public bool HasIommufd => ConfigOption("CONFIG_IOMMUFD") is "y" or "m";

    /// <summary>The value of <paramref name="name"/> (e.g. CONFIG_IOMMUFD) in the package's
    /// boot/config-<c>Release</c>: "y", "m", a number or string, or null when it is not set.</summary>
    /// <exception cref="LabException">The package has no kernel config.</exception>
    public string? ConfigOption(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string config = Path.Combine(Root, "boot", $"config-{Release}");
        if (!File.Exists(config))
        {
            throw new LabException($"{Package} unpacked in {Root} has no boot/config-{Release}");
        }
        string prefix = name + "=";
        return File.ReadLines(config).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    /// <summary>Whether the kernel ships <paramref name="name"/> as a module ('-' and '_' alike).</summary>
    public bool HasModule(string name) => FindModule(name) is not null;

    /// <summary>The modules <paramref name="names"/> need, each after the modules it depends on
    /// and each once, as uncompressed paths (<see cref="Module"/>). The dependencies are each
    /// module's own depends= field in .modinfo: that is what depmod turns into modules.dep,
    /// which Debian's package does not ship (its postinst runs depmod).</summary>
    /// <exception cref="LabException">A module or one of its dependencies is missing, or they depend on each other in a cycle.</exception>
    public IReadOnlyList<string> ModulesWithDependencies(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var ordered = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            Visit(name, null);
        }
        return ordered;

        void Visit(string name, string? neededBy)
        {
            string key = name.Replace('-', '_');
            if (done.Contains(key))
            {
                return;
            }
            if (!visiting.Add(key))
            {
                throw new LabException($"kernel {Release}: modules depend on each other in a cycle through {name}");
            }
            if (FindModule(name) is null)
            {
                throw new LabException(neededBy is null
                    ? $"kernel {Release} has no module {name} under {Path.Combine(ModuleDirectory, "kernel")}"
                    : $"kernel {Release} has no module {name}, which {neededBy} depends on");
            }
            string path = Module(name);
            string? depends = ElfFile.ModuleInfo(path).FirstOrDefault(f => f.StartsWith("depends=", StringComparison.Ordinal));
            foreach (string dependency in (depends?["depends=".Length..] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                Visit(dependency, name);
            }
            visiting.Remove(key);
            done.Add(key);
            ordered.Add(path);
        }
    }

    /// <summary>Resolves the versioned package, downloads and unpacks it into the cache unless it
    /// is there already. Needs apt-get, dpkg and (for compressed modules) xz or zstd.</summary>
    public static StockKernel Acquire(LabCache cache, TextWriter? progress = null, string metaPackage = CloudMetaPackage) =>
        Acquire(cache, progress, metaPackage, foreign: null);

    /// <summary>As <see cref="Acquire(LabCache, TextWriter?, string)"/>, for another
    /// architecture's kernel when <paramref name="foreign"/> is given (the arm64 lab's, fetched
    /// with its own package lists).</summary>
    public static StockKernel Acquire(LabCache cache, TextWriter? progress, string metaPackage, ForeignPackages? foreign)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string kernels = cache.Directory("kernels");
        string? package = ResolveVersionedPackage(metaPackage, progress, foreign);
        if (package is null)
        {
            // Offline with a warm cache is fine: take the newest kernel already unpacked.
            StockKernel? cached = NewestCached(kernels, metaPackage);
            return cached ?? throw new LabException(
                $"cannot resolve {metaPackage} with apt-cache and the cache {kernels} has no kernel; " +
                "run apt-get update (Debian's archive must be reachable)");
        }
        string root = Path.Combine(kernels, package);
        if (!DebUnpacker.IsReady(root))
        {
            Download(package, kernels, root, progress, foreign);
        }
        return Open(root);
    }

    /// <summary>Opens a package unpacked earlier (the directory <see cref="Root"/> names).</summary>
    public static StockKernel Open(string root)
    {
        string package = Path.GetFileName(Path.TrimEndingDirectorySeparator(root));
        string modules = Path.Combine(root, "lib", "modules");
        string[] releases = Directory.Exists(modules) ? Directory.GetDirectories(modules) : [];
        if (releases.Length != 1)
        {
            throw new LabException($"{root} should hold exactly one lib/modules/<release>, found {releases.Length}");
        }
        return new StockKernel(package, root, Path.GetFileName(releases[0]));
    }

    /// <summary>The uncompressed .ko for a module name (file name without extension, e.g.
    /// "kvm-amd"). Debian may ship .ko.xz or .ko.zst; busybox insmod may not decompress, so
    /// such a module is decompressed once, next to the original.</summary>
    public string Module(string name)
    {
        (string found, string extension) = FindModule(name)
            ?? throw new LabException($"kernel {Release} has no module {name} under {Path.Combine(ModuleDirectory, "kernel")}");
        return extension == ".ko" ? found : Decompress(found, extension);
    }

    /// <summary>The module file for <paramref name="name"/> and its extension, or null. Module
    /// names treat '-' and '_' alike (kvm_amd is kvm-amd.ko, vfio_pci_core is vfio-pci-core.ko).</summary>
    private (string Path, string Extension)? FindModule(string name)
    {
        string kernelTree = Path.Combine(ModuleDirectory, "kernel");
        if (!Directory.Exists(kernelTree))
        {
            return null;
        }
        string[] spellings = [.. new[] { name, name.Replace('_', '-'), name.Replace('-', '_') }.Distinct()];
        foreach (string extension in (string[])[".ko", ".ko.xz", ".ko.zst", ".ko.gz"])
        {
            foreach (string spelling in spellings)
            {
                string? found = Directory.EnumerateFiles(kernelTree, spelling + extension, SearchOption.AllDirectories)
                    .FirstOrDefault();
                if (found is not null)
                {
                    return (found, extension);
                }
            }
        }
        return null;
    }

    private static string Decompress(string compressed, string extension)
    {
        string target = compressed[..^(extension.Length - ".ko".Length)];
        if (File.Exists(target))
        {
            return target;
        }
        (string tool, string package) = extension switch
        {
            ".ko.xz" => ("xz", "xz-utils"),
            ".ko.zst" => ("zstd", "zstd"),
            _ => ("gzip", "gzip"),
        };
        HostPackages.EnsureInstalled([package]);
        ProcessResult result = HostPackages.Run(tool, ["-d", "-k", "-f", compressed]);
        if (!result.Succeeded || !File.Exists(target))
        {
            throw new LabException($"{tool} -d {compressed} failed (exit {result.ExitCode}): {result.Tail()}");
        }
        return target;
    }

    private static string? ResolveVersionedPackage(string metaPackage, TextWriter? progress, ForeignPackages? foreign)
    {
        if (foreign is not null)
        {
            try
            {
                foreign.EnsureUpdated(progress);
            }
            catch (LabException e)
            {
                progress?.WriteLine($"lab: {e.Message}");
                return null;
            }
            return QueryDepends(metaPackage, foreign);
        }
        string? package = QueryDepends(metaPackage, null);
        if (package is null)
        {
            try
            {
                HostPackages.Update(progress);
            }
            catch (LabException e)
            {
                progress?.WriteLine($"lab: {e.Message}");
                return null;
            }
            package = QueryDepends(metaPackage, null);
        }
        return package;
    }

    private static string? QueryDepends(string metaPackage, ForeignPackages? foreign)
    {
        ProcessResult result = HostPackages.Run("apt-cache", [.. foreign?.AptOptions ?? [], "depends", "--important", metaPackage]);
        if (!result.Succeeded)
        {
            return null;
        }
        Match match = DependsLine().Match(result.StandardOutput);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static void Download(string package, string kernels, string root, TextWriter? progress, ForeignPackages? foreign) =>
        DebUnpacker.DownloadAndUnpack(kernels, root,
            work =>
            {
                progress?.WriteLine($"lab: downloading {package} into {kernels}...");
                // As root, apt's _apt sandbox user cannot write to the cache; say so instead of warning.
                string[] sandbox = ProcessRunner.IsRoot ? ["-o", "APT::Sandbox::User=root"] : [];
                string[] options = foreign is null ? sandbox : [.. foreign.AptOptions];
                string name = foreign is null ? package : $"{package}:{foreign.Architecture}";
                return HostPackages.Run("apt-get", ["download", .. options, .. AptProgress.Options, name], work,
                    new AptProgress(progress).OnLine);
            },
            download =>
                $"apt-get download {package} failed (exit {download.ExitCode}):\n{download.Tail()}\n" +
                "Run apt-get update, and check that Debian's archive is reachable");

    /// <summary>The metapackage that fetches <paramref name="flavour"/>.</summary>
    public static string MetaPackage(KernelFlavour flavour) => flavour switch
    {
        KernelFlavour.Generic => GenericMetaPackage,
        _ => CloudMetaPackage,
    };

    /// <summary>The metapackage that fetches <paramref name="kernel"/> as L1.</summary>
    public static string MetaPackage(L1Kernel kernel) => kernel switch
    {
        L1Kernel.Linux612 => Linux612CloudMetaPackage,
        _ => CloudMetaPackage,
    };

    /// <summary>Whether a versioned package is the one <paramref name="metaPackage"/> stands
    /// for. Debian's own series is named linux-image-6.1.0-NN-FLAVOUR and its metapackage
    /// linux-image-FLAVOUR; a newer series is linux-image-6.12.NNN+deb12-FLAVOUR behind
    /// linux-image-6.12-FLAVOUR. The flavour is the part after the ABI, so the generic flavour
    /// is never mistaken for cloud or rt, and the series must match, so a cached 6.12 kernel is
    /// never taken for Debian's own.</summary>
    internal static bool IsFlavourOf(string package, string metaPackage)
    {
        Match versioned = VersionedName().Match(package);
        Match meta = MetaName().Match(metaPackage);
        if (!versioned.Success || !meta.Success || versioned.Groups["flavour"].Value != meta.Groups["flavour"].Value)
        {
            return false;
        }
        return meta.Groups["series"].Success
            ? versioned.Groups["series"].Value == meta.Groups["series"].Value && versioned.Groups["abi"].Value.StartsWith('+')
            : versioned.Groups["abi"].Value.StartsWith('-');
    }

    private static StockKernel? NewestCached(string kernels, string metaPackage) =>
        Directory.EnumerateDirectories(kernels)
            .Where(d => IsFlavourOf(Path.GetFileName(d), metaPackage) && DebUnpacker.IsReady(d))
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .Select(Open)
            .FirstOrDefault();

    [GeneratedRegex(@"^\s*Depends:\s*(linux-image-\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex DependsLine();

    // linux-image-6.1.0-56-cloud-amd64 -> series 6.1, abi "-56", flavour cloud-amd64;
    // linux-image-6.12.118+deb12-amd64 -> series 6.12, abi "+deb12", flavour amd64.
    [GeneratedRegex(@"^linux-image-(?<series>\d+\.\d+)\.\d+(?<abi>-\d+|\+[a-z0-9.]+)-(?<flavour>[a-z][a-z0-9-]*)$")]
    private static partial Regex VersionedName();

    // linux-image-cloud-amd64 -> flavour cloud-amd64; linux-image-6.12-cloud-amd64 -> series 6.12 too.
    [GeneratedRegex(@"^linux-image-(?:(?<series>\d+\.\d+)-)?(?<flavour>[a-z][a-z0-9-]*)$")]
    private static partial Regex MetaName();
}
