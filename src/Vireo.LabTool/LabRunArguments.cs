using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`vireo-lab run`'s arguments: the lab's own options, and the `vireo run` options it
/// forwards untouched (the vireo inside the lab parses and checks those). Kernel and initramfs
/// are host paths that the lab copies in; --append is extended for the lab's console.
/// `--vfio-user sample[,id=NAME]` starts a sample device server in L1 and becomes vireo's
/// `--vfio-user SOCKET,id=NAME`; `--l1 CMD` runs a command in L1 once vireo is up;
/// `--l1-devices edu` boots L1 with an emulated IOMMU and QEMU's edu device bound to vfio-pci;
/// `--l1-kernel 6.12` boots L1 on Debian 12's 6.12 kernel instead of its 6.1.</summary>
internal sealed record LabRunArguments
{
    /// <summary>vireo's API socket in L1 when the user names none and an L1 command needs one.</summary>
    public const string DefaultApiSocket = SampleDeviceInL1.RunDirectory + "/api.sock";

    /// <summary>The one device kind the lab can serve.</summary>
    public const string SampleKind = "sample";

    /// <summary>The one device set `--l1-devices` offers: an emulated IOMMU and edu in L1
    /// (<see cref="DeviceAssignmentInL1"/>). Also the name `--vfio` takes for that edu, which the
    /// lab replaces with its PCI address in L1 once L1 has bound it.</summary>
    public const string EduDevices = "edu";

    /// <summary>The guest shell's line-editing width: busybox reads COLUMNS before the tty's
    /// size, and a serial tty reports none, so ash would assume 80 columns and wrap typed
    /// commands mid-word in the log. Kernel parameters with no dot reach /init's environment.</summary>
    public const string ConsoleWidthParameter = "COLUMNS=1000";

    /// <summary>`--l1-kernel`'s values, as the user spells them.</summary>
    public const string StockL1Kernel = "stock";

    /// <summary>`--l1-kernel 6.12`: <see cref="Vireo.Lab.L1Kernel.Linux612"/>.</summary>
    public const string Linux612L1Kernel = "6.12";

    public string? Input { get; init; }

    public uint TimeoutSeconds { get; init; } = 600;

    public string? Vireo { get; init; }

    public string? Kernel { get; init; }

    public string? Initramfs { get; init; }

    public string? Append { get; init; }

    public Vireo.Lab.GuestVariant Guest { get; init; }

    public Vireo.Lab.KernelFlavour KernelFlavour { get; init; }

    /// <summary>The sample device servers to start in L1, in the order given.</summary>
    public IReadOnlyList<SampleDeviceInL1> Devices { get; init; } = [];

    /// <summary>Whether L1 boots with the emulated IOMMU and edu, bound to vfio-pci (`--l1-devices edu`).</summary>
    public bool DeviceAssignment { get; init; }

    /// <summary>The kernel L1 boots (`--l1-kernel stock|6.12`).</summary>
    public Vireo.Lab.L1Kernel L1Kernel { get; init; }

    /// <summary>Whether L1 gets Debian's QEMU, SeaBIOS and <see cref="QemuAssignmentInL1.Program"/> (`--l1-qemu`, with `--l1-devices edu`).</summary>
    public bool L1Qemu { get; init; }

    /// <summary>The shell command to run in L1 alongside vireo, or null.</summary>
    public string? L1Command { get; init; }

    /// <summary>The vireo-device to copy into L1 (only with <see cref="Devices"/>).</summary>
    public string? VireoDevice { get; init; }

    /// <summary>L1's architecture (`--arch x86_64|arm64`).</summary>
    public global::Vireo.Lab.LabArchitecture Architecture { get; init; }

    /// <summary>The `--disk` images to copy into L1, in the order given.</summary>
    public IReadOnlyList<LabDisk> Disks { get; init; } = [];

    /// <summary>The other `vireo run` options, in the order given.</summary>
    public IReadOnlyList<string> Forwarded { get; init; } = [];

    public static LabRunArguments Parse(IEnumerable<string> args)
    {
        var reader = new LabArguments("run", args);
        string? arch = reader.Option("--arch");
        global::Vireo.Lab.LabArchitecture architecture = arch is null ? global::Vireo.Lab.LabArchitecture.X64
            : global::Vireo.Lab.LabArchitectures.Parse(arch) ?? throw new UsageException($"run: --arch takes x86_64 or arm64, not '{arch}'");
        string? input = reader.Option("--input");
        uint timeout = reader.UInt("--timeout", 600, 10, 86_400);
        string? vireo = reader.Option("--vireo");
        string? kernel = reader.Option("--kernel");
        string? initramfs = reader.Option("--initramfs");
        string? append = reader.Option("--append");
        IReadOnlyList<SampleDeviceInL1> devices = ParseDevices(reader.All("--vfio-user"));
        IReadOnlyList<LabDisk> disks = LabDisk.ParseAll(reader.All("--disk"));
        string? l1 = reader.Option("--l1");
        if (l1 is not null && l1.Trim().Length == 0)
        {
            throw new UsageException("run: --l1 needs a shell command");
        }
        string? vireoDevice = reader.Option("--vireo-device");
        string? l1Devices = reader.Option("--l1-devices");
        bool l1Qemu = reader.Flag("--l1-qemu");
        if (l1Qemu && l1Devices is null)
        {
            throw new UsageException($"run: --l1-qemu assigns L1's edu with QEMU; it needs --l1-devices {EduDevices}");
        }
        if (l1Devices is not null && l1Devices != EduDevices)
        {
            throw new UsageException($"run: --l1-devices takes {EduDevices} (an emulated IOMMU and QEMU's edu device in L1, bound to vfio-pci), not '{l1Devices}'");
        }
        global::Vireo.Lab.L1Kernel l1Kernel = reader.Option("--l1-kernel") switch
        {
            null or StockL1Kernel => global::Vireo.Lab.L1Kernel.Stock,
            Linux612L1Kernel => global::Vireo.Lab.L1Kernel.Linux612,
            string other => throw new UsageException(
                $"run: --l1-kernel takes {StockL1Kernel} (Debian 12's 6.1) or {Linux612L1Kernel} (its 6.12 kernel), not '{other}'"),
        };
        (Vireo.Lab.GuestVariant guest, Vireo.Lab.KernelFlavour flavour) = GuestChoices.Read(reader);
        if (reader.Option("--serial") is not null)
        {
            throw new UsageException("run: the guest console is always stdout in the lab; drop --serial");
        }
        if (l1Devices is null && reader.Remaining.Select((word, i) => EduVfioValueAt(reader.Remaining, i)).Any(at => at is not null))
        {
            throw new UsageException($"run: --vfio {EduDevices} assigns L1's edu, which needs --l1-devices {EduDevices}");
        }
        if (kernel is null && initramfs is not null)
        {
            throw new UsageException("run: --initramfs needs --kernel (with neither, the lab boots the default guest)");
        }
        if (kernel is not null && (guest != default || flavour != default))
        {
            throw new UsageException("run: --guest and --kernel-flavour pick the default guest; they do not go with --kernel");
        }
        if (architecture == global::Vireo.Lab.LabArchitecture.Arm64)
        {
            string? unsupported = l1Qemu ? "--l1-qemu"
                : l1Kernel != global::Vireo.Lab.L1Kernel.Stock ? "--l1-kernel" : flavour != default ? "--kernel-flavour" : null;
            if (unsupported is not null)
            {
                throw new UsageException($"run: the arm64 lab does not take {unsupported} yet (its L1 and default guest run Debian's one arm64 6.12 kernel, and L1 has no QEMU of its own)");
            }
        }
        return new LabRunArguments
        {
            Architecture = architecture,
            Input = input,
            TimeoutSeconds = timeout,
            Vireo = vireo,
            Kernel = kernel,
            Initramfs = initramfs,
            Append = append,
            Guest = guest,
            KernelFlavour = flavour,
            Devices = devices,
            Disks = disks,
            L1Command = l1,
            DeviceAssignment = l1Devices is not null,
            L1Qemu = l1Qemu,
            L1Kernel = l1Kernel,
            VireoDevice = vireoDevice,
            Forwarded = [.. reader.Remaining],
        };
    }

    /// <summary>`sample` or `sample,id=NAME`; unnamed devices are sample0, sample1, ... by position.</summary>
    private static List<SampleDeviceInL1> ParseDevices(IReadOnlyList<string> values)
    {
        var devices = new List<SampleDeviceInL1>();
        for (int i = 0; i < values.Count; i++)
        {
            string[] parts = values[i].Split(',');
            bool named = parts.Length == 2 && parts[1].StartsWith("id=", StringComparison.Ordinal);
            if (parts[0] != SampleKind || (parts.Length != 1 && !named))
            {
                throw new UsageException($"run: --vfio-user takes {SampleKind}[,id=NAME] (the lab's sample device, served in L1), not '{values[i]}'");
            }
            string id = named ? parts[1]["id=".Length..] : $"{SampleKind}{i}";
            if (!SampleDeviceInL1.IsValidId(id))
            {
                throw new UsageException($"run: --vfio-user id '{id}' must be 1 to 32 letters, digits, '-' or '_'");
            }
            if (devices.Any(d => d.Id == id))
            {
                throw new UsageException($"run: --vfio-user id '{id}' is given twice");
            }
            devices.Add(new SampleDeviceInL1(id));
        }
        return devices;
    }

    /// <summary>These arguments with each `--vfio edu[,OPTIONS]` (or `--vfio=edu...`) naming
    /// <paramref name="address"/> instead: the address L1 bound edu at.</summary>
    public LabRunArguments WithEduAddress(string address)
    {
        string[] words = [.. Forwarded];
        for (int i = 0; i < words.Length; i++)
        {
            if (EduVfioValueAt(words, i) is { } prefix)
            {
                words[i] = prefix + address + words[i][(prefix.Length + EduDevices.Length)..];
            }
        }
        return this with { Forwarded = words };
    }

    /// <summary>When word <paramref name="i"/> is a --vfio value naming edu ("edu", "edu,...",
    /// or "--vfio=edu..."), what precedes "edu" in it; else null.</summary>
    private static string? EduVfioValueAt(IReadOnlyList<string> words, int i)
    {
        static bool IsEdu(string value) => value == EduDevices || value.StartsWith(EduDevices + ",", StringComparison.Ordinal);
        if (i > 0 && words[i - 1] == "--vfio" && IsEdu(words[i]))
        {
            return "";
        }
        const string Joined = "--vfio=";
        return words[i].StartsWith(Joined, StringComparison.Ordinal) && IsEdu(words[i][Joined.Length..]) ? Joined : null;
    }

    /// <summary>vireo's API socket in L1: the one the user forwards with --api-socket, else
    /// <see cref="DefaultApiSocket"/> when an L1 command needs one, else null.</summary>
    public string? ApiSocket => ForwardedApiSocket ?? (L1Command is null ? null : DefaultApiSocket);

    private string? ForwardedApiSocket
    {
        get
        {
            for (int i = 0; i < Forwarded.Count; i++)
            {
                if (Forwarded[i] == "--api-socket" && i + 1 < Forwarded.Count)
                {
                    return Forwarded[i + 1];
                }
                if (Forwarded[i].StartsWith("--api-socket=", StringComparison.Ordinal))
                {
                    return Forwarded[i]["--api-socket=".Length..];
                }
            }
            return null;
        }
    }

    /// <summary>Whether the run needs <see cref="L1RunScript"/> (devices or an L1 command) rather than the plain vireo line.</summary>
    public bool NeedsScript => Devices.Count > 0 || L1Command is not null;

    /// <summary>The words after `vireo run` inside L1, with the guest at <paramref name="kernelInL1"/>.</summary>
    public IReadOnlyList<string> VireoRunWords(string kernelInL1, string? initramfsInL1)
    {
        var words = new List<string> { "--kernel", kernelInL1 };
        if (initramfsInL1 is not null)
        {
            words.Add("--initramfs");
            words.Add(initramfsInL1);
        }
        words.AddRange(Forwarded);
        foreach (LabDisk disk in Disks)
        {
            words.Add("--disk");
            words.Add(disk.VireoRunOption);
        }
        foreach (SampleDeviceInL1 device in Devices)
        {
            words.Add("--vfio-user");
            words.Add(device.VireoRunOption);
        }
        if (L1Command is not null && ForwardedApiSocket is null)
        {
            words.Add("--api-socket");
            words.Add(DefaultApiSocket);
        }
        words.Add("--append");
        words.Add(Append is null ? ConsoleWidthParameter : $"{Append} {ConsoleWidthParameter}");
        return words;
    }
}
