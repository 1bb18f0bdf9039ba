namespace Vireo.LabTool;

/// <summary>`vireo-lab run`'s arguments: the lab's own options, and the `vireo run` options it
/// forwards untouched (the vireo inside the lab parses and checks those). Kernel and initramfs
/// are host paths that the lab copies in; --append is extended for the lab's console.</summary>
internal sealed record LabRunArguments
{
    /// <summary>The guest shell's line-editing width: busybox reads COLUMNS before the tty's
    /// size, and a serial tty reports none, so ash would assume 80 columns and wrap typed
    /// commands mid-word in the log. Kernel parameters with no dot reach /init's environment.</summary>
    public const string ConsoleWidthParameter = "COLUMNS=1000";

    public string? Input { get; init; }

    public uint TimeoutSeconds { get; init; } = 600;

    public string? Vireo { get; init; }

    public string? Kernel { get; init; }

    public string? Initramfs { get; init; }

    public string? Append { get; init; }

    public Vireo.Lab.GuestVariant Guest { get; init; }

    public Vireo.Lab.KernelFlavour KernelFlavour { get; init; }

    /// <summary>The other `vireo run` options, in the order given.</summary>
    public IReadOnlyList<string> Forwarded { get; init; } = [];

    public static LabRunArguments Parse(IEnumerable<string> args)
    {
        var reader = new LabArguments("run", args);
        string? input = reader.Option("--input");
        uint timeout = reader.UInt("--timeout", 600, 10, 86_400);
        string? vireo = reader.Option("--vireo");
        string? kernel = reader.Option("--kernel");
        string? initramfs = reader.Option("--initramfs");
        string? append = reader.Option("--append");
        (Vireo.Lab.GuestVariant guest, Vireo.Lab.KernelFlavour flavour) = GuestChoices.Read(reader);
        if (reader.Option("--serial") is not null)
        {
            throw new UsageException("run: the guest console is always stdout in the lab; drop --serial");
        }
        if (kernel is null && initramfs is not null)
        {
            throw new UsageException("run: --initramfs needs --kernel (with neither, the lab boots the default guest)");
        }
        if (kernel is not null && (guest != default || flavour != default))
        {
            throw new UsageException("run: --guest and --kernel-flavour pick the default guest; they do not go with --kernel");
        }
        return new LabRunArguments
        {
            Input = input,
            TimeoutSeconds = timeout,
            Vireo = vireo,
            Kernel = kernel,
            Initramfs = initramfs,
            Append = append,
            Guest = guest,
            KernelFlavour = flavour,
            Forwarded = [.. reader.Remaining],
        };
    }

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
        words.Add("--append");
        words.Add(Append is null ? ConsoleWidthParameter : $"{Append} {ConsoleWidthParameter}");
        return words;
    }
}
