using System.IO.Compression;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The guest `vireo run` boots with no arguments: Debian's stock cloud kernel and a busybox
/// initramfs Vireo builds, which mounts the usual filesystems, prints a ready line, runs an
/// optional script passed on the kernel command line, and then gives a shell on the console.
/// </summary>
public sealed class DefaultGuest
{
    private const uint ExecutableMode = 0x1ED; // 0755
    private const uint StickyWorldWritable = 0x3FF; // 01777

    private static readonly string[] s_directories = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "etc/acpi", "etc/acpi/PWRF", "dev", "proc", "sys", "root", "run", "lib", "lib/modules", "var", "var/log"];

    /// <summary>Modules from the stock kernel package the guest loads: evdev and the ACPI
    /// power button (both =m in Debian's cloud kernel), so a host power-button press reaches
    /// busybox acpid through /dev/input/event*, and acpid powers off.</summary>
    public static readonly string[] Modules = ["evdev", "button"];

    private DefaultGuest(string kernel, string initramfs)
    {
        Kernel = kernel;
        Initramfs = initramfs;
    }

    public string Kernel { get; }

    public string Initramfs { get; }

    /// <summary>The /init script: a stock busybox userland, nothing Vireo-specific in the kernel.</summary>
    public static string InitScript => $$"""
        #!/bin/busybox sh
        /bin/busybox --install -s
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        for m in /lib/modules/*.ko; do insmod "$m" 2>/dev/null; done
        # busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
        acpid -l /var/log/acpid.log
        echo "{{GuestMarkers.Ready}} cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
        if [ -n "${{{GuestMarkers.ScriptParameter}}}" ]; then
            echo "${{{GuestMarkers.ScriptParameter}}}" | base64 -d > /tmp/script
            sh /tmp/script
        fi
        exec setsid cttyhack sh
        """.ReplaceLineEndings("\n");

    /// <summary>Gets the kernel (apt, cached) and builds the initramfs into the cache if it is
    /// missing or older than this build of Vireo's /init.</summary>
    public static DefaultGuest Prepare(LabCache? cache = null, TextWriter? progress = null)
    {
        cache ??= LabCache.Default();
        HostPackages.EnsureInstalled(["busybox-static"], progress);
        StockKernel kernel = StockKernel.Acquire(cache, progress);
        string busybox = "/bin/busybox";
        string path = Path.Combine(cache.Directory("guests"), $"default-{ScriptHash()}.cpio.gz");
        if (!File.Exists(path))
        {
            progress?.WriteLine($"vireo: building the default guest initramfs at {path}");
            string temporary = path + ".tmp";
            using (FileStream file = File.Create(temporary))
            {
                Write(file, busybox, Modules.Select(kernel.Module).ToList());
            }
            File.Move(temporary, path, overwrite: true);
        }
        return new DefaultGuest(kernel.Vmlinuz, path);
    }

    /// <summary>Encodes a script for <see cref="GuestMarkers.ScriptParameter"/> on the command line.</summary>
    public static string ScriptArgument(string script)
        => $"{GuestMarkers.ScriptParameter}={Convert.ToBase64String(Encoding.UTF8.GetBytes(script.ReplaceLineEndings("\n")))}";

    /// <summary>The action busybox acpid runs for the power button: power off at once.</summary>
    public const string PowerButtonAction = "#!/bin/sh\npoweroff -f\n";

    public static void Write(Stream output, string busybox, IReadOnlyList<string> modules)
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
        cpio.AddFile("init", Encoding.UTF8.GetBytes(InitScript), ExecutableMode);
        cpio.AddFile("etc/acpi/PWRF/00000080", Encoding.UTF8.GetBytes(PowerButtonAction), ExecutableMode);
        foreach (string module in modules)
        {
            cpio.AddFile($"lib/modules/{Path.GetFileName(module)}", File.ReadAllBytes(module));
        }
        cpio.Finish();
    }

    private static string ScriptHash()
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(InitScript + PowerButtonAction + string.Join(',', Modules) + string.Join(',', s_directories)));
        return Convert.ToHexStringLower(hash)[..12];
    }
}
