using System.Globalization;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The default guest's root disk: a small ext4 image with a busybox userland that boots as a
/// machine — busybox init (so `poweroff` and `reboot` shut down cleanly and unmount the disk),
/// a shell on the console, acpid for the power button, and the network configured on eth0 when
/// the VM has one. The default initramfs switches to it when the kernel command line says
/// <c>root=/dev/vda</c> (<see cref="DefaultGuest.InitScriptFor"/>); it carries no kernel
/// modules (they stay in the initramfs, which loads them first), so any kernel boots it.
/// Built with e2fsprogs' <c>mkfs.ext4 -d</c> from a staging directory; no root needed.
/// </summary>
public static class DefaultRootDisk
{
    /// <summary>The file system's label (<c>root=LABEL=vireo-root</c> finds it too).</summary>
    public const string Label = "vireo-root";

    /// <summary>The image's size: room for busybox and a user's files; grow it with
    /// <c>truncate</c> and <c>resize2fs</c>.</summary>
    public const long SizeBytes = 64L << 20;

    /// <summary>eth0's address when the command line has no <c>vireo.ip=</c>: the host side of
    /// a tap `vireo run --net tap` creates is 192.168.249.1/24.</summary>
    public const string DefaultAddress = "192.168.249.2/24";

    /// <summary>The default route when the command line has no <c>vireo.gw=</c>: the tap's host side.</summary>
    public const string DefaultGateway = "192.168.249.1";

    /// <summary>The kernel parameter that makes the default initramfs boot from this disk, as the guest sees it.</summary>
    public const string RootParameter = "root=/dev/vda";

    private const uint ExecutableMode = 0x1ED; // 0755

    private static readonly string[] s_directories = ["bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "etc/acpi/PWRF", "dev", "proc", "sys", "run", "tmp", "root", "home", "mnt", "var/log", "lib/modules"];

    /// <summary>busybox init's table: the boot script, a login shell on the console (again
    /// after it exits), and a clean shutdown (<see cref="ShutdownScript"/>) before power-off.</summary>
    public const string Inittab = """
        ::sysinit:/etc/init.d/rcS
        ::respawn:/bin/cttyhack /bin/sh -l
        ::ctrlaltdel:/sbin/reboot
        ::shutdown:/etc/init.d/rcK
        """;

    /// <summary>What init runs at `poweroff` and `reboot`. busybox init runs its shutdown
    /// actions before it signals the other processes, so a plain <c>umount -a -r</c> finds files
    /// still open for writing and the disk stays read-write (the lab saw ext4 replay its journal
    /// at the next boot): stop everything else first, then make the root read-only.</summary>
    public const string ShutdownScript = """
        #!/bin/sh
        kill -TERM -1 2>/dev/null; sleep 1; kill -KILL -1 2>/dev/null
        sync
        # The root first, while /proc (which mount reads) is still there; then the rest.
        mount -o remount,ro / || echo "vireo-guest: / stays read-write; the next boot replays its journal"
        umount -a -r 2>/dev/null
        """;

    /// <summary>The boot script busybox init runs first: file systems, host name, network,
    /// acpid, the ready line (<see cref="GuestMarkers.Ready"/> with <c>root=</c> and <c>net=</c>),
    /// and the command line's script (<see cref="GuestMarkers.ScriptParameter"/>), as the initramfs does.</summary>
    public static string BootScript => $$"""
        #!/bin/sh
        # Vireo's default machine. The initramfs moved /proc, /sys and /dev here; a kernel booted
        # straight from this disk has not mounted them yet.
        [ -e /proc/mounts ] || mount -t proc proc /proc
        [ -d /sys/kernel ] || mount -t sysfs sysfs /sys
        [ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
        mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
        mount -t tmpfs tmpfs /run
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        hostname -F /etc/hostname
        ip link set lo up
        # eth0 (virtio-net, `vireo run --net tap`) gets vireo.ip= (ADDRESS/PREFIX) and vireo.gw=
        # from the command line, else the guest side of the tap vireo creates.
        address={{DefaultAddress}} gateway={{DefaultGateway}}
        for word in $(cat /proc/cmdline); do
            case "$word" in
                vireo.ip=*) address=${word#vireo.ip=} ;;
                vireo.gw=*) gateway=${word#vireo.gw=} ;;
            esac
        done
        net=none
        if [ -e /sys/class/net/eth0 ]; then
            ip addr add "$address" dev eth0 && ip link set eth0 up && net="eth0:$address"
            ip route add default via "$gateway" 2>/dev/null
        fi
        # busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
        acpid -l /run/acpid.log
        echo "{{GuestMarkers.Ready}} cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r) modules=$(wc -l < /proc/modules) root=$(awk '$2 == "/" { print $1 }' /proc/mounts) net=$net"
        for word in $(cat /proc/cmdline); do
            case "$word" in
                {{GuestMarkers.ScriptParameter}}=*) echo "${word#{{GuestMarkers.ScriptParameter}}=}" | base64 -d > /tmp/script && sh /tmp/script ;;
            esac
        done
        """;

    /// <summary>The power button's action here: a clean power-off through init.</summary>
    public const string PowerButtonAction = "#!/bin/sh\npoweroff\n";

    /// <summary>The root disk built from the host's static busybox, from the cache when this
    /// build of Vireo already made it.</summary>
    public static string Prepare(LabCache cache, TextWriter? progress = null, string busybox = "/bin/busybox")
    {
        HostPackages.EnsureInstalled(["busybox-static", "e2fsprogs"], progress);
        string path = Path.Combine(cache.Directory("guests"), $"rootfs-{ContentHash(busybox)}.ext4");
        if (!File.Exists(path))
        {
            progress?.WriteLine($"lab: building the default guest's root disk at {path}");
            CacheFile.Write(path, (string temporary) => Build(temporary, busybox));
        }
        return path;
    }

    /// <summary>A writable copy of <paramref name="pristine"/> kept between runs
    /// (<c>machines/default.ext4</c> in the cache), made when missing: the disk of the machine
    /// tools/run-default-guest.sh boots on hardware KVM. Returns its path and whether it is new.</summary>
    public static (string Path, bool Created) MachineDisk(LabCache cache, string pristine)
    {
        string path = Path.Combine(cache.Directory("machines"), "default.ext4");
        if (File.Exists(path))
        {
            return (path, false);
        }
        CacheFile.Write(path, (string temporary) => File.Copy(pristine, temporary, overwrite: true));
        return (path, true);
    }

    /// <summary>Writes the ext4 image at <paramref name="image"/>: the staging tree
    /// (<see cref="Populate"/>) put in by <c>mkfs.ext4 -d</c>, labelled <see cref="Label"/>.</summary>
    public static void Build(string image, string busybox)
    {
        string staging = Directory.CreateTempSubdirectory("vireo-rootfs-").FullName;
        try
        {
            Populate(staging, busybox);
            Ext4Image.Write(image, staging, Label, SizeBytes, ["-E", "root_owner=0:0"], "the root disk");
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Fills <paramref name="root"/> with the disk's files: busybox and a link for each
    /// of its applets (as <c>busybox --list-full</c> names them), /sbin/init among them, and /etc.</summary>
    public static void Populate(string root, string busybox)
    {
        foreach (string directory in s_directories)
        {
            Directory.CreateDirectory(Path.Combine(root, directory));
        }
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0x3FF); // 01777
        string target = Path.Combine(root, "bin", "busybox");
        File.Copy(busybox, target);
        File.SetUnixFileMode(target, (UnixFileMode)ExecutableMode);
        foreach (string applet in Applets(busybox))
        {
            string link = Path.Combine(root, applet);
            if (applet == "bin/busybox" || File.Exists(link))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, "/bin/busybox");
        }
        if (!File.Exists(Path.Combine(root, "sbin", "init")))
        {
            throw new LabException($"{busybox} has no init applet: the root disk needs busybox's init (Debian's busybox-static has it)");
        }
        Write(root, "etc/inittab", Inittab + "\n");
        Write(root, "etc/init.d/rcS", BootScript + "\n", ExecutableMode);
        Write(root, "etc/init.d/rcK", ShutdownScript + "\n", ExecutableMode);
        Write(root, "etc/acpi/PWRF/00000080", PowerButtonAction, ExecutableMode);
        Write(root, "etc/hostname", "vireo\n");
        Write(root, "etc/hosts", "127.0.0.1 localhost\n127.0.1.1 vireo\n");
        Write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        Write(root, "etc/group", "root:x:0:\n");
        Write(root, "etc/profile", "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport HOME=/root\ncd\n");
    }

    /// <summary>The applets' paths relative to / (<c>bin/ls</c>, <c>sbin/init</c>, ...).</summary>
    private static IEnumerable<string> Applets(string busybox)
    {
        ProcessResult list = ProcessRunner.Run(busybox, ["--list-full"]);
        if (!list.Succeeded)
        {
            throw new LabException($"{busybox} --list-full failed:\n{list.Tail()}");
        }
        return list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => !a.Contains("..", StringComparison.Ordinal) && !a.StartsWith('/'));
    }

    private static void Write(string root, string relative, string text, uint mode = 0x1A4 /* 0644 */)
    {
        string path = Path.Combine(root, relative);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, (UnixFileMode)mode);
    }

    private static string ContentHash(string busybox)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join('\n', [Inittab, BootScript, ShutdownScript, PowerButtonAction, string.Join(',', s_directories),
            SizeBytes.ToString(CultureInfo.InvariantCulture), Label])));
        hash.AppendData(File.ReadAllBytes(busybox));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }
}
