using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Vireo.Lab;

/// <summary>The unit tests that need a usable /dev/kvm, run on L1's kvm-amd. A host whose KVM
/// has no device node skips them (a KvmFact says why); L1 always has one. L1 gets a read-only
/// ext4 disk (<see cref="Ext4Image"/>, on virtio-blk) with the .NET runtime the lab itself runs
/// on, xunit's console runner and the test projects' build outputs, mounted at <see cref="MountPoint"/> by /init; each
/// assembly's KVM tests (and only those: the rest run on the host) then run there under that
/// runner.</summary>
public sealed class UnitTestsInL1
{
    /// <summary>Where L1's /init mounts the disk.</summary>
    public const string MountPoint = "/unit-tests";

    /// <summary>The attributes (Vireo.TestSupport) of a test that needs /dev/kvm.</summary>
    public static readonly IReadOnlySet<string> KvmAttributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "KvmFactAttribute", "KvmTheoryAttribute",
    };

    // What L1's kernel needs to see the disk: the cloud kernel has virtio as modules, ext4 built in.
    private static readonly string[] s_modules = ["virtio_pci", "virtio_blk"];

    private const string DriveId = "unittests";

    private UnitTestsInL1(string image, IReadOnlyDictionary<string, IReadOnlyList<string>> methods)
    {
        Image = image;
        KvmTests = methods;
    }

    /// <summary>The host path of the ext4 image.</summary>
    public string Image { get; }

    /// <summary>Per test assembly (by name, e.g. Vireo.Kvm.Tests), its KVM test methods
    /// (Namespace.Class.Method).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> KvmTests { get; }

    /// <summary>Builds the disk at <paramref name="image"/> from the running .NET runtime
    /// (<paramref name="runtimeDirectory"/>, e.g. /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12),
    /// xunit's console runner for .NET (<paramref name="runnerDirectory"/>) and each of
    /// <paramref name="tests"/> (an assembly's name and its build output directory), staged
    /// under <paramref name="staging"/>.</summary>
    /// <exception cref="LabException">Something is missing, or mkfs.ext4 failed.</exception>
    public static UnitTestsInL1 Build(string image, string runtimeDirectory, string runnerDirectory,
        IReadOnlyList<(string Assembly, string Directory)> tests, string staging)
    {
        ArgumentNullException.ThrowIfNull(tests);
        string runtime = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runtimeDirectory));
        // DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION.
        string dotnetRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)))
            ?? throw new LabException($"{runtime} is not under a .NET root");
        string muxer = Path.Combine(dotnetRoot, "dotnet");
        string fxr = Path.Combine(dotnetRoot, "host", "fxr");
        foreach (string needed in (string[])[muxer, fxr, runtime, Path.Combine(runnerDirectory, "xunit.console.dll")])
        {
            if (!File.Exists(needed) && !Directory.Exists(needed))
            {
                throw new LabException($"{needed} is missing: the unit tests cannot run in L1 without it");
            }
        }
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        string dotnet = Path.Combine(staging, "dotnet");
        CopyFile(muxer, Path.Combine(dotnet, "dotnet"));
        CopyDirectory(fxr, Path.Combine(dotnet, "host", "fxr"));
        // Every shared framework of this runtime's release (ASP.NET Core's too: the API's tests
        // run Kestrel), e.g. shared/Microsoft.NETCore.App/10.0.12.
        string release = string.Join('.', Path.GetFileName(runtime).Split('.').Take(2)) + ".";
        foreach (string framework in Directory.EnumerateDirectories(Path.Combine(dotnetRoot, "shared")))
        {
            foreach (string version in Directory.EnumerateDirectories(framework).Where(v => Path.GetFileName(v).StartsWith(release, StringComparison.Ordinal)))
            {
                CopyDirectory(version, Path.Combine(dotnet, "shared", Path.GetFileName(framework), Path.GetFileName(version)));
            }
        }
        CopyDirectory(runnerDirectory, Path.Combine(staging, "runner"));
        // The runtime's own libraries' dependencies beyond what L1 already has for vireo
        // (libstdc++, libgcc_s); loaded through LD_LIBRARY_PATH.
        string lib = Path.Combine(staging, "lib");
        Directory.CreateDirectory(lib);
        foreach (string library in L1ImageBuilder.SharedLibraries(Path.Combine(runtime, "libcoreclr.so")))
        {
            CopyFile(library, Path.Combine(lib, Path.GetFileName(library)));
        }
        var methods = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach ((string assembly, string directory) in tests)
        {
            string path = Path.Combine(directory, assembly + ".dll");
            if (!File.Exists(path))
            {
                throw new LabException($"{path} is missing: build the solution first (dotnet build Vireo.slnx -c Release)");
            }
            CopyDirectory(directory, Path.Combine(staging, "tests", assembly));
            methods[assembly] = MethodsWithAttribute(path, KvmAttributes);
            // The runner's selection, one word a line, for the command's $(cat ...): a command
            // line with every name could outgrow the serial console's line.
            File.WriteAllLines(Path.Combine(staging, "tests", assembly + ".args"), methods[assembly].SelectMany(m => (string[])["-method", m]));
        }

        long bytes = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Ext4Image.Write(image, staging, "vireo-tests", bytes * 5 / 4 + (32L << 20), ["-m", "0"], "the unit tests' disk");
        Directory.Delete(staging, recursive: true);
        return new UnitTestsInL1(image, methods);
    }

    /// <summary>Adds the modules and the /init line that mount the disk to <paramref name="builder"/>.</summary>
    public static void AddTo(L1ImageBuilder builder, StockKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(kernel);
        foreach (string module in kernel.ModulesWithDependencies(s_modules))
        {
            builder.AddModule(module);
        }
        // The disk's device node appears when virtio_blk has probed it, a moment after insmod.
        builder.AddSetupCommand($"mkdir -p {MountPoint}; for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.5; done; " +
            $"mount -t ext4 -o ro,noload /dev/vda {MountPoint} || echo 'unit-tests: cannot mount /dev/vda' >&2");
    }

    /// <summary>QEMU's arguments that attach the disk, read-only, as L1's first virtio-blk device (/dev/vda).</summary>
    public IReadOnlyList<string> QemuArguments() =>
    [
        "-drive", $"file={Image},if=none,id={DriveId},format=raw,readonly=on",
        "-device", $"virtio-blk-pci,drive={DriveId}",
    ];

    /// <summary>The L1 shell command that runs <paramref name="assembly"/>'s KVM tests under
    /// xunit's console runner, one test at a time (L1 has one CPU), without colours.</summary>
    public string RunCommand(string assembly)
    {
        if (!KvmTests.ContainsKey(assembly))
        {
            throw new ArgumentException($"{assembly} is not on the disk", nameof(assembly));
        }
        string directory = $"{MountPoint}/tests/{assembly}";
        // No ICU in L1; the tests format with the invariant culture anyway.
        return $"cd {directory} && env HOME=/tmp TMPDIR=/tmp DOTNET_ROOT={MountPoint}/dotnet " +
            $"DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 LD_LIBRARY_PATH={MountPoint}/lib " +
            $"{MountPoint}/dotnet/dotnet exec --runtimeconfig {assembly}.runtimeconfig.json --depsfile {assembly}.deps.json " +
            $"{MountPoint}/runner/xunit.console.dll {assembly}.dll -nocolor -noshadow -parallel none $(cat {MountPoint}/tests/{assembly}.args)";
    }

    /// <summary>The methods of <paramref name="assemblyPath"/> (Namespace.Class.Method, as xunit
    /// names them) carrying one of <paramref name="attributeNames"/> (type names without
    /// namespace), read from metadata without loading the assembly.</summary>
    public static IReadOnlyList<string> MethodsWithAttribute(string assemblyPath, IReadOnlySet<string> attributeNames)
    {
        ArgumentNullException.ThrowIfNull(attributeNames);
        using FileStream stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new LabException($"{assemblyPath} is not a .NET assembly");
        }
        MetadataReader metadata = pe.GetMetadataReader();
        var methods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (TypeDefinitionHandle handle in metadata.TypeDefinitions)
        {
            TypeDefinition type = metadata.GetTypeDefinition(handle);
            foreach (MethodDefinitionHandle method in type.GetMethods())
            {
                MethodDefinition definition = metadata.GetMethodDefinition(method);
                if (definition.GetCustomAttributes()
                    .Any(a => AttributeName(metadata, metadata.GetCustomAttribute(a)) is { } name && attributeNames.Contains(name)))
                {
                    methods.Add(FullName(metadata, type) + "." + metadata.GetString(definition.Name));
                }
            }
        }
        return [.. methods];
    }

    private static string? AttributeName(MetadataReader metadata, CustomAttribute attribute)
    {
        EntityHandle type = attribute.Constructor.Kind switch
        {
            HandleKind.MemberReference => metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
            HandleKind.MethodDefinition => metadata.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
            _ => default,
        };
        return type.Kind switch
        {
            HandleKind.TypeReference => metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)type).Name),
            HandleKind.TypeDefinition => metadata.GetString(metadata.GetTypeDefinition((TypeDefinitionHandle)type).Name),
            _ => null,
        };
    }

    // Reflection's Type.FullName: Namespace.Name, nested types as Outer+Inner.
    private static string FullName(MetadataReader metadata, TypeDefinition type)
    {
        string name = metadata.GetString(type.Name);
        TypeDefinitionHandle outer = type.GetDeclaringType();
        if (!outer.IsNil)
        {
            return FullName(metadata, metadata.GetTypeDefinition(outer)) + "+" + name;
        }
        string ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            CopyFile(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
