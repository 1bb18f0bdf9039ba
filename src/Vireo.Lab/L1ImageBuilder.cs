using System.IO.Compression;
using System.Text;

namespace Vireo.Lab;

/// <summary>Builds the L1 initramfs (gzip-compressed newc cpio): a static busybox, the /init
/// from <see cref="L1InitScript"/>, the KVM modules, and payload files copied from the host.</summary>
public sealed class L1ImageBuilder
{
    private const uint ExecutableMode = 0x1ED; // 0755
    private const uint RegularMode = 0x1A4;    // 0644
    private const uint StickyWorldWritable = 0x3FF; // 01777, as /tmp usually is
    private const string ModuleDirectoryParent = "lib/modules";

    // Mount points and the places busybox --install and the init script expect.
    private static readonly string[] s_baseDirectories =
        ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "lib", "lib64",
         "etc", "dev", "proc", "sys", "root", "run", "var", ModuleDirectoryParent, L1InitScript.ModuleDirectory];

    private readonly string _busybox;
    private readonly List<string> _modules = [];
    private readonly List<string> _setupCommands = [];
    private readonly List<(string GuestPath, Func<Stream> Open, uint Mode)> _files = [];
    private readonly List<(string GuestPath, string Target)> _symlinks = [];

    /// <param name="busybox">A statically linked busybox (Debian's busybox-static: /bin/busybox).</param>
    /// <param name="architecture">L1's architecture: which UART /init talks on, and where a
    /// program's shared libraries come from (the host's own, or on x86-64 the arm64 glibc of
    /// Debian's cross toolchain, libc6-arm64-cross).</param>
    public L1ImageBuilder(string busybox, LabArchitecture architecture = LabArchitecture.X64)
    {
        Architecture = architecture;
        if (!File.Exists(busybox))
        {
            throw new LabException($"busybox not found at {busybox}; install busybox-static");
        }
        if (ElfFile.HasInterpreter(busybox))
        {
            throw new LabException($"{busybox} is dynamically linked and cannot run alone in L1; install busybox-static");
        }
        _busybox = busybox;
    }

    /// <summary>The architecture the image is for.</summary>
    public LabArchitecture Architecture { get; }

    /// <summary>An image for <paramref name="kernel"/> with its kvm-amd modules (and tun, for
    /// the guests' taps) already added.</summary>
    public static L1ImageBuilder ForKvmAmd(StockKernel kernel, string busybox)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var builder = new L1ImageBuilder(busybox);
        foreach (string module in kernel.KvmAmdModules)
        {
            builder.AddModule(module);
        }
        // tun: `vireo run --net tap` in L1 creates the guest's tap.
        foreach (string module in kernel.ModulesWithDependencies(["tun"]))
        {
            builder.AddModule(module);
        }
        return builder;
    }

    /// <summary>A kernel module that /init loads with insmod, in the order added. A module
    /// added again is loaded once, where it was first added (two module sets may share a
    /// dependency, such as irqbypass for kvm and vfio-pci; a second insmod would fail).</summary>
    public void AddModule(string hostPath)
    {
        RequireFile(hostPath);
        string full = Path.GetFullPath(hostPath);
        if (!_modules.Any(m => Path.GetFullPath(m) == full))
        {
            _modules.Add(hostPath);
        }
    }

    /// <summary>A shell line /init runs after loading modules, before taking commands
    /// (e.g. mounting something a payload needs).</summary>
    public void AddSetupCommand(string shellLine) => _setupCommands.Add(shellLine);

    /// <summary>Copies a host file to <paramref name="guestPath"/>; by default executable in
    /// the guest when it is executable on the host.</summary>
    public void AddFile(string hostPath, string guestPath, uint? mode = null)
    {
        RequireFile(hostPath);
        uint effective = mode ?? ((File.GetUnixFileMode(hostPath) & UnixFileMode.UserExecute) != 0 ? ExecutableMode : RegularMode);
        _files.Add((guestPath, () => File.OpenRead(hostPath), effective));
    }

    /// <summary>Adds a file with <paramref name="contents"/> at <paramref name="guestPath"/>.</summary>
    /// <param name="guestPath">The absolute path inside L1.</param>
    /// <param name="contents">The file's bytes; not copied, so not to be changed before <see cref="Write"/>.</param>
    /// <param name="mode">The permission bits.</param>
    public void AddFile(string guestPath, byte[] contents, uint mode = RegularMode)
    {
        ArgumentNullException.ThrowIfNull(contents);
        _files.Add((guestPath, () => new MemoryStream(contents, writable: false), mode));
    }

    /// <summary>Adds a symbolic link at <paramref name="guestPath"/> pointing to <paramref name="target"/>.</summary>
    public void AddSymlink(string guestPath, string target) => _symlinks.Add((guestPath, target));

    /// <summary>Copies a dynamically linked program and the shared libraries it loads (as ldd
    /// lists them on the host, at the same paths in the guest) — for a NativeAOT binary that
    /// is libc.so.6, libm.so.6 and ld-linux-x86-64.so.2.</summary>
    public void AddProgram(string hostPath, string guestPath)
    {
        AddFile(hostPath, guestPath, ExecutableMode);
        if (!ElfFile.HasInterpreter(hostPath))
        {
            return;
        }
        IEnumerable<(string Host, string Guest)> libraries = Architecture == LabArchitecture.Arm64
            ? Arm64SharedLibraries(hostPath)
            : SharedLibraries(hostPath).Select(l => (l, l));
        foreach ((string host, string guest) in libraries)
        {
            if (!_files.Any(f => Normalize(f.GuestPath) == Normalize(guest)))
            {
                AddFile(host, guest, ExecutableMode);
            }
        }
    }

    /// <summary>Copies a host directory tree (regular files and symlinks) under <paramref name="guestDirectory"/>.</summary>
    public void AddDirectory(string hostDirectory, string guestDirectory)
    {
        if (!Directory.Exists(hostDirectory))
        {
            throw new LabException($"{hostDirectory} does not exist");
        }
        foreach (string entry in Directory.EnumerateFileSystemEntries(hostDirectory, "*", SearchOption.AllDirectories))
        {
            string guest = Path.Combine(guestDirectory, Path.GetRelativePath(hostDirectory, entry));
            var info = new FileInfo(entry);
            if (info.LinkTarget is not null)
            {
                AddSymlink(guest, info.LinkTarget);
            }
            else if (!info.Attributes.HasFlag(FileAttributes.Directory))
            {
                AddFile(entry, guest);
            }
        }
    }

    /// <summary>Writes the gzip-compressed initramfs with everything added; <paramref name="output"/> is left open.</summary>
    public void Write(Stream output)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        using var cpio = new CpioWriter(gzip, leaveOpen: true);
        foreach (string directory in s_baseDirectories)
        {
            cpio.AddDirectory(directory);
        }
        cpio.AddDirectory("tmp", StickyWorldWritable);
        // The kernel opens /dev/console for init before /init can mount devtmpfs.
        cpio.AddCharDevice("dev/console", 5, 1); // devices.txt: 5,1 = /dev/console
        cpio.AddFile("bin/busybox", File.ReadAllBytes(_busybox), ExecutableMode);

        var moduleNames = new List<string>();
        for (int i = 0; i < _modules.Count; i++)
        {
            string name = $"{i:D2}-{Path.GetFileName(_modules[i])}";
            moduleNames.Add(name);
            using FileStream module = File.OpenRead(_modules[i]);
            cpio.AddFile($"{L1InitScript.ModuleDirectory}/{name}", module);
        }
        cpio.AddFile("init", Encoding.UTF8.GetBytes(L1InitScript.Generate(moduleNames, _setupCommands, Architecture.ConsoleTty())), ExecutableMode);

        foreach ((string guestPath, Func<Stream> open, uint mode) in _files)
        {
            EnsureParents(cpio, guestPath);
            using Stream contents = open();
            cpio.AddFile(Normalize(guestPath), contents, mode);
        }
        foreach ((string guestPath, string target) in _symlinks)
        {
            EnsureParents(cpio, guestPath);
            cpio.AddSymlink(Normalize(guestPath), target);
        }
        cpio.Finish();
    }

    /// <summary>Writes the image to <paramref name="path"/> (replacing it) and returns the path.</summary>
    public string WriteTo(string path)
    {
        CacheFile.Write(path, (Stream file) => Write(file));
        return path;
    }

    private static void EnsureParents(CpioWriter cpio, string guestPath)
    {
        string[] parts = Normalize(guestPath).Split('/');
        for (int i = 1; i < parts.Length; i++)
        {
            string parent = string.Join('/', parts[..i]);
            if (!cpio.Contains(parent))
            {
                cpio.AddDirectory(parent);
            }
        }
    }

    internal static IEnumerable<string> SharedLibraries(string program)
    {
        ProcessResult ldd = ProcessRunner.Run("ldd", [program]);
        if (!ldd.Succeeded)
        {
            throw new LabException($"ldd {program} failed (exit {ldd.ExitCode}): {ldd.Tail()}");
        }
        // "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
        foreach (string line in ldd.StandardOutput.Split('\n'))
        {
            string text = line.Trim();
            int arrow = text.IndexOf("=>", StringComparison.Ordinal);
            string candidate = (arrow >= 0 ? text[(arrow + 2)..] : text).Trim();
            int space = candidate.IndexOf(' ', StringComparison.Ordinal);
            if (space >= 0)
            {
                candidate = candidate[..space];
            }
            if (candidate.StartsWith('/') && File.Exists(candidate))
            {
                yield return candidate;
            }
            else if (text.Contains("not found", StringComparison.Ordinal))
            {
                throw new LabException($"{program} needs a library the host lacks: {text}");
            }
        }
    }

    /// <summary>Debian's cross toolchain's arm64 glibc (libc6-arm64-cross): the same glibc as
    /// Debian's arm64 libc6, under another prefix.</summary>
    public const string Arm64LibraryDirectory = "/usr/aarch64-linux-gnu/lib";

    // An arm64 program's libraries cannot be listed by the host's ldd, which would have to run
    // it. Its DT_NEEDED entries (readelf reads any architecture's ELF) name them, all from glibc
    // here; they go where Debian's arm64 libc6 puts them, and the loader where PT_INTERP says.
    private static IEnumerable<(string Host, string Guest)> Arm64SharedLibraries(string program)
    {
        ProcessResult dynamic = ProcessRunner.Run("readelf", ["-d", "-l", "-W", program]);
        if (!dynamic.Succeeded)
        {
            throw new LabException($"readelf -d {program} failed (exit {dynamic.ExitCode}): {dynamic.Tail()}; install binutils");
        }
        foreach (string line in dynamic.StandardOutput.Split('\n'))
        {
            int open = line.IndexOf("(NEEDED)", StringComparison.Ordinal) >= 0 ? line.IndexOf("[", StringComparison.Ordinal) : -1;
            if (open >= 0)
            {
                string name = line[(open + 1)..line.IndexOf(']', open)];
                string host = Path.Combine(Arm64LibraryDirectory, name);
                if (!File.Exists(host))
                {
                    throw new LabException($"{program} needs {name}, which is not in {Arm64LibraryDirectory}; install libc6-arm64-cross");
                }
                yield return (host, name.StartsWith("ld-linux", StringComparison.Ordinal) ? "/lib/" + name : "/lib/aarch64-linux-gnu/" + name);
            }
            int interpreter = line.IndexOf("[Requesting program interpreter: ", StringComparison.Ordinal);
            if (interpreter >= 0)
            {
                string guest = line[(interpreter + "[Requesting program interpreter: ".Length)..line.LastIndexOf(']')];
                string host = Path.Combine(Arm64LibraryDirectory, Path.GetFileName(guest));
                if (!File.Exists(host))
                {
                    throw new LabException($"{program} needs the loader {guest}, which is not in {Arm64LibraryDirectory}; install libc6-arm64-cross");
                }
                yield return (host, guest);
            }
        }
    }

    private static void RequireFile(string hostPath)
    {
        if (!File.Exists(hostPath))
        {
            throw new LabException($"{hostPath} does not exist");
        }
    }

    private static string Normalize(string guestPath) => guestPath.Replace('\\', '/').Trim('/');
}
