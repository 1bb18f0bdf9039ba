using System.IO.Compression;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The guest tools/run-default-guest.sh boots (`vireo-lab guest` fetches it): Debian's stock
/// kernel, a busybox initramfs Vireo builds, and a root disk (<see cref="DefaultRootDisk"/>).
/// The initramfs mounts the usual filesystems and loads the kernel's own virtio and ACPI
/// modules; with <c>root=</c> on the command line it then boots the root disk's busybox init,
/// else it prints a ready line, runs an optional script passed on the kernel command line, and
/// gives a shell on the console. <see cref="GuestVariant.NoModules"/> is the same without any module.
/// The default variant can also carry the sample device's guest driver
/// (<see cref="Lab.SampleDriver"/>) and the edu checker (<see cref="Lab.EduChecker"/>), not
/// loaded at boot.
/// </summary>
public sealed class DefaultGuest
{
    private const uint ExecutableMode = 0x1ED; // 0755
    private const uint StickyWorldWritable = 0x3FF; // 01777

    private static readonly string[] s_directories = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "etc/acpi", "etc/acpi/PWRF", "dev", "proc", "sys", "root", "run", "lib", "lib/modules", "var", "var/log", "mnt"];

    /// <summary>Modules from the stock kernel package the guest loads, in this order (each after
    /// those it depends on): evdev and the ACPI power button (both =m in Debian's cloud kernel),
    /// so a host power-button press reaches busybox acpid through /dev/input/event*, and acpid
    /// powers off; then the virtio core, the virtio-pci transport and the drivers of the virtio
    /// devices Vireo offers (all =m there too; virtio_console is hvc0, `vireo run --console virtio`; virtio_net needs
    /// net_failover and failover; the vsock transport needs vsock and its common part).</summary>
    public static readonly string[] Modules =
    [
        "evdev", "button",
        "virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio-rng", "virtio_blk", "virtio_console",
        "failover", "net_failover", "virtio_net",
        "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport",
    ];

    /// <summary>What the arm64 default guest asks of its kernel: <see cref="Modules"/> (those it
    /// builds as modules) and gpio_keys, the driver of the arm64 machine's power key (a gpio-keys
    /// KEY_POWER on its PL061, whose driver is built in; KEYBOARD_GPIO=m and INPUT_EVDEV=m in
    /// Debian's linux-image-6.12-arm64), so a press reaches acpid through evdev as the PC's ACPI
    /// button does.</summary>
    public static readonly string[] Arm64Modules = [.. Modules, "gpio_keys"];

    private DefaultGuest(string kernel, string initramfs, string rootDisk, GuestVariant variant, string? sampleDriver, string? eduChecker)
    {
        Kernel = kernel;
        Initramfs = initramfs;
        RootDisk = rootDisk;
        Variant = variant;
        SampleDriver = sampleDriver;
        EduChecker = eduChecker;
    }

    /// <summary>The stock kernel's path on the host.</summary>
    public string Kernel { get; }

    /// <summary>The built initramfs's path on the host.</summary>
    public string Initramfs { get; }

    /// <summary>The pristine root disk image (<see cref="DefaultRootDisk"/>) the initramfs boots
    /// from with <see cref="DefaultRootDisk.RootParameter"/>; a cached file to copy, not to write.</summary>
    public string RootDisk { get; }

    /// <summary>Which variant the initramfs was built as.</summary>
    public GuestVariant Variant { get; }

    /// <summary>The host path of the vireo_sample.ko the initramfs carries at
    /// <see cref="Lab.SampleDriver.GuestPath"/>, or null when it carries none.</summary>
    public string? SampleDriver { get; }

    /// <summary>The host path of the vireo_edu.ko the initramfs carries at
    /// <see cref="Lab.EduChecker.GuestPath"/>, or null when it carries none.</summary>
    public string? EduChecker { get; }

    /// <summary>The default guest's /init: a stock busybox userland, nothing Vireo-specific in the kernel.</summary>
    public static string InitScript => InitScriptFor(GuestVariant.Default);

    /// <summary>The modules <paramref name="variant"/> puts in its initramfs and loads.</summary>
    public static IReadOnlyList<string> ModulesFor(GuestVariant variant) => variant == GuestVariant.NoModules ? [] : Modules;

    /// <summary>The modules the arm64 guest of <paramref name="variant"/> asks for (each that its
    /// kernel builds as a module goes in, with what it depends on): <see cref="Arm64Modules"/>, or none.</summary>
    public static IReadOnlyList<string> Arm64ModulesFor(GuestVariant variant) => variant == GuestVariant.NoModules ? [] : Arm64Modules;

    /// <summary>The /init of <paramref name="variant"/>; the no-module variant has no insmod
    /// and no acpid (which would find no input device without evdev and button).</summary>
    public static string InitScriptFor(GuestVariant variant) => $$"""
        #!/bin/busybox sh
        /bin/busybox --install -s
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        {{(variant == GuestVariant.NoModules ? "" : ModuleLines)}}
        {{RootSwitchLines}}
        {{(variant == GuestVariant.NoModules ? "" : AcpidLine)}}
        echo "{{GuestMarkers.Ready}} cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r) modules=$(wc -l < /proc/modules)"
        if [ -n "${{{GuestMarkers.ScriptParameter}}}" ]; then
            echo "${{{GuestMarkers.ScriptParameter}}}" | base64 -d > /tmp/script
            sh /tmp/script
        fi
        exec setsid cttyhack sh
        """.ReplaceLineEndings("\n");

    private const string ModuleLines = """
        for m in /lib/modules/*.ko; do insmod "$m" 2>/dev/null; done
        # A console that came with a module (hvc0, from virtio_console under console=hvc0) was not
        # there when the kernel opened /dev/console for /init: open it now that it is.
        if { : >/dev/console; } 2>/dev/null; then exec </dev/console >/dev/console 2>&1; fi
        """;

    // busybox acpid's evdev table maps KEY_POWER to PWRF/00000080 whichever device sends it: the
    // ACPI button on a PC, gpio-keys on arm64, so one line serves both guests.
    private const string AcpidLine = """
        # busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
        acpid -l /var/log/acpid.log
        """;

    /// <summary>With <c>root=</c> on the command line (a device, <c>LABEL=</c> or <c>UUID=</c>;
    /// <c>ro</c> mounts it read-only), /init waits up to 5 s for it, mounts it and hands over to
    /// its /sbin/init, as a distribution's initramfs does; the default root disk
    /// (<see cref="DefaultRootDisk"/>) boots this way. Without it, or when the root cannot be
    /// mounted (said on the console), the initramfs's own shell runs.</summary>
    private const string RootSwitchLines = """
        root= rootmode=rw
        for word in $(cat /proc/cmdline); do
            case "$word" in
                root=*) root=${word#root=} ;;
                ro) rootmode=ro ;;
            esac
        done
        if [ -n "$root" ]; then
            device=$root tries=0
            while [ $tries -lt 50 ]; do
                case "$root" in LABEL=*|UUID=*) device=$(findfs "$root" 2>/dev/null) ;; esac
                [ -b "$device" ] && break
                sleep 0.1; tries=$((tries + 1))
            done
            mkdir -p /newroot
            if [ -b "$device" ] && mount -o "$rootmode" "$device" /newroot 2>/tmp/root.err; then
                if [ -x /newroot/sbin/init ]; then
                    mount --move /dev /newroot/dev && mount --move /proc /newroot/proc && mount --move /sys /newroot/sys
                    exec switch_root /newroot /sbin/init
                fi
                echo "vireo-guest: $root has no /sbin/init" >/tmp/root.err
                umount /newroot
            fi
            echo "vireo-guest: cannot boot from root=$root: $(cat /tmp/root.err 2>/dev/null || echo no such block device after 5 s); staying in the initramfs"
        fi
        """;

    /// <summary>Gets the kernel (apt, cached) and builds the initramfs into the cache if it is
    /// missing or older than this build of Vireo's /init. <paramref name="flavour"/> picks the
    /// Debian kernel; the initramfs carries that kernel's own modules. With
    /// <paramref name="sampleDriverCheckout"/> (a Vireo checkout), the default variant also
    /// carries the sample device's guest driver and the edu checker, built there for that kernel.</summary>
    public static DefaultGuest Prepare(LabCache? cache = null, TextWriter? progress = null,
        GuestVariant variant = GuestVariant.Default, KernelFlavour flavour = KernelFlavour.Cloud,
        string? sampleDriverCheckout = null)
    {
        cache ??= LabCache.Default();
        HostPackages.EnsureInstalled(["busybox-static"], progress);
        StockKernel kernel = StockKernel.Acquire(cache, progress, StockKernel.MetaPackage(flavour));
        string busybox = "/bin/busybox";
        string name = variant == GuestVariant.NoModules ? "no-modules" : "default";
        // Modules are the kernel's own, so the image is per kernel release; without modules any
        // kernel can boot it.
        string release = ModulesFor(variant).Count == 0 ? "" : $"-{kernel.Release}";
        // The no-module variant boots any kernel, so it carries no kernel-specific driver.
        bool drivers = sampleDriverCheckout is not null && variant != GuestVariant.NoModules;
        string? driver = drivers ? GuestDriver.Sample.Build(sampleDriverCheckout!, kernel.Release, cache, progress) : null;
        string? edu = drivers ? GuestDriver.Edu.Build(sampleDriverCheckout!, kernel.Release, cache, progress) : null;
        string withDriver = driver is null || edu is null ? "" : $"-driver{FileHash(driver)}-edu{FileHash(edu)}";
        string path = Path.Combine(cache.Directory("guests"), $"{name}{release}-{ScriptHash(variant)}{withDriver}.cpio.gz");
        if (!File.Exists(path))
        {
            progress?.WriteLine($"lab: building the {name} guest initramfs at {path}");
            CacheFile.Write(path, (Stream file) => Write(file, busybox, ModulesFor(variant).Select(kernel.Module).ToList(), variant, driver, edu));
        }
        return new DefaultGuest(kernel.Vmlinuz, path, DefaultRootDisk.Prepare(cache, progress, busybox), variant, driver, edu);
    }

    /// <summary>The arm64 lab's default guest: the same stock Debian arm64 kernel its L1 runs
    /// (<paramref name="arm64Lab"/>'s), and an initramfs over arm64 busybox, built into the cache
    /// once per version of /init (and kernel, with modules). <paramref name="variant"/>
    /// <see cref="GuestVariant.NoModules"/> (the default) boots any kernel; <see cref="GuestVariant.Default"/>
    /// carries and loads the kernel's own modules of <see cref="Arm64Modules"/> that it builds as
    /// modules (evdev, gpio_keys, virtio-blk, virtio-rng, virtio-net and vsock on Debian's arm64
    /// kernel; virtio-pci, the console and the ACPI button are built in), with what they depend on,
    /// and starts acpid, so the machine's power key powers it off. No root disk yet.</summary>
    /// <returns>The host paths of the kernel and the initramfs.</returns>
    public static (string Kernel, string Initramfs) PrepareArm64(LabEnvironment arm64Lab, TextWriter? progress = null, GuestVariant variant = GuestVariant.NoModules)
    {
        ArgumentNullException.ThrowIfNull(arm64Lab);
        if (arm64Lab.Architecture != LabArchitecture.Arm64)
        {
            throw new ArgumentException("the arm64 default guest needs the arm64 lab's environment", nameof(arm64Lab));
        }
        StockKernel kernel = arm64Lab.Kernel;
        IReadOnlyList<string> wanted = Arm64ModulesFor(variant);
        IReadOnlyList<string> modules = wanted.Count == 0 ? [] : kernel.ModulesWithDependencies(wanted.Where(kernel.HasModule));
        string name = modules.Count == 0 ? "arm64-no-modules" : $"arm64-default-{kernel.Release}";
        string path = Path.Combine(arm64Lab.Cache.Directory("guests"), $"{name}-{ScriptHash(variant, wanted)}.cpio.gz");
        if (!File.Exists(path))
        {
            progress?.WriteLine($"lab: building the arm64 guest initramfs at {path}");
            CacheFile.Write(path, (Stream file) => Write(file, arm64Lab.Busybox, modules, variant));
        }
        return (kernel.Vmlinuz, path);
    }

    /// <summary>Encodes a script for <see cref="GuestMarkers.ScriptParameter"/> on the command line.</summary>
    public static string ScriptArgument(string script)
        => $"{GuestMarkers.ScriptParameter}={Convert.ToBase64String(Encoding.UTF8.GetBytes(script.ReplaceLineEndings("\n")))}";

    /// <summary>The action busybox acpid runs for the power button: power off at once.</summary>
    public const string PowerButtonAction = "#!/bin/sh\npoweroff -f\n";

    /// <summary>Writes the guest's gzip-compressed initramfs: directories, /dev/console, busybox with bin/sh, /init, the acpid power-button action and <paramref name="modules"/>.</summary>
    /// <param name="output">Where the initramfs goes; left open.</param>
    /// <param name="busybox">The static busybox binary on the host.</param>
    /// <param name="modules">Host paths of the kernel modules to include and load.</param>
    /// <param name="variant">Which /init to write.</param>
    /// <param name="sampleDriver">The host path of vireo_sample.ko to carry at <see cref="Lab.SampleDriver.GuestPath"/>, or null.</param>
    /// <param name="eduChecker">The host path of vireo_edu.ko to carry at <see cref="Lab.EduChecker.GuestPath"/>, or null.</param>
    public static void Write(Stream output, string busybox, IReadOnlyList<string> modules, GuestVariant variant = GuestVariant.Default,
        string? sampleDriver = null, string? eduChecker = null)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        using var cpio = new CpioWriter(gzip, leaveOpen: true);
        foreach (string directory in s_directories)
        {
            cpio.AddDirectory(directory);
        }
        cpio.AddDirectory("tmp", StickyWorldWritable);
        cpio.AddCharDevice("dev/console", 5, 1); // devices.txt: 5,1 = /dev/console
        cpio.AddFile("bin/busybox", File.ReadAllBytes(busybox), ExecutableMode);
        cpio.AddSymlink("bin/sh", "busybox");
        cpio.AddFile("init", Encoding.UTF8.GetBytes(InitScriptFor(variant)), ExecutableMode);
        cpio.AddFile("etc/acpi/PWRF/00000080", Encoding.UTF8.GetBytes(PowerButtonAction), ExecutableMode);
        // /init loads lib/modules/*.ko in glob order: the index keeps the order given (dependencies first).
        for (int i = 0; i < modules.Count; i++)
        {
            cpio.AddFile($"lib/modules/{i:d2}-{Path.GetFileName(modules[i])}", File.ReadAllBytes(modules[i]));
        }
        // Outside lib/modules, whose *.ko /init loads at boot.
        foreach ((string? hostPath, string guestPath) in (ReadOnlySpan<(string?, string)>)[
            (sampleDriver, Lab.SampleDriver.GuestPath.TrimStart('/')), (eduChecker, Lab.EduChecker.GuestPath.TrimStart('/'))])
        {
            if (hostPath is null)
            {
                continue;
            }
            string directory = Path.GetDirectoryName(guestPath)!;
            if (!cpio.Contains(directory))
            {
                cpio.AddDirectory(directory);
            }
            cpio.AddFile(guestPath, File.ReadAllBytes(hostPath));
        }
        cpio.Finish();
    }

    private static string FileHash(string path)
    {
        using FileStream file = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file))[..12];
    }

    private static string ScriptHash(GuestVariant variant) => ScriptHash(variant, ModulesFor(variant));

    // The module names are part of what the cached image is built from: a module added to the
    // list must not find an image built without it.
    private static string ScriptHash(GuestVariant variant, IReadOnlyList<string> modules)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(
            InitScriptFor(variant) + PowerButtonAction + string.Join(',', modules) + string.Join(',', s_directories)));
        return Convert.ToHexStringLower(hash)[..12];
    }
}
