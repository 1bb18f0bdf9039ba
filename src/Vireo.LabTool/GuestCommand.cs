using System.Text;
using System.Text.Json;
using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`vireo-lab guest`: fetch (once) and print the default guest's kernel and initramfs,
/// for `vireo run --kernel K --initramfs I` on a host with hardware KVM.</summary>
internal static class GuestCommand
{
    public const string Help = """
        Usage: vireo-lab guest [--json] [--machine-disk] [--guest default|no-modules]
                               [--kernel-flavour cloud|generic]

        Fetches Debian's stock kernel (apt-get download, unpacked once into the cache:
        ~/.cache/vireo, or $VIREO_CACHE), builds a busybox initramfs for it and a 64 MiB
        ext4 root disk (busybox init, a shell on the console, eth0 configured), then prints
        their paths on stdout; progress goes to stderr. Boot the initramfs alone with
        `vireo run --kernel K --initramfs I`, or the machine on its disk with
        `vireo run --kernel K --initramfs I --disk path=D --append root=/dev/vda --net tap`
        (tools/run-default-guest.sh does). The rootfs image is the cache's pristine copy:
        boot a copy of it (--machine-disk makes one).

          --json            print {"kernel": ..., "initramfs": ..., "rootfs": ..., "guest": ...}
          --machine-disk    also print "disk: PATH", a writable copy of the root disk kept
                            between runs in the cache (machines/default.ext4), made when
                            missing: delete it to start from a fresh disk
          --guest G         default: loads evdev and the ACPI button driver and runs acpid
                            (the power button powers it off); no-modules: loads no module
          --kernel-flavour F  cloud (linux-image-cloud-amd64, default) or generic
                            (linux-image-amd64: a 70 MB download, 400 MB unpacked)
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var reader = new LabArguments("guest", args);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            stdout.WriteLine(Help);
            return Task.FromResult(0);
        }
        bool json = reader.Flag("--json");
        bool machineDisk = reader.Flag("--machine-disk");
        (GuestVariant variant, KernelFlavour flavour) = GuestChoices.Read(reader);
        reader.Done();

        LabCache cache = LabCache.Default();
        DefaultGuest guest = DefaultGuest.Prepare(cache, stderr, variant, flavour);
        string? disk = null;
        if (machineDisk)
        {
            (disk, bool created) = DefaultRootDisk.MachineDisk(cache, guest.RootDisk);
            stderr.WriteLine(created
                ? $"vireo-lab: made the default machine's disk {disk} from {guest.RootDisk}; it is kept between runs (delete it to start afresh)"
                : $"vireo-lab: the default machine's disk is {disk} (kept between runs; delete it to start afresh)");
        }
        stdout.Write(json ? ToJson(guest, disk) + "\n"
            : $"kernel: {guest.Kernel}\ninitramfs: {guest.Initramfs}\nrootfs: {guest.RootDisk}\n" + (disk is null ? "" : $"disk: {disk}\n"));
        return Task.FromResult(0);
    }

    internal static string ToJson(DefaultGuest guest, string? disk = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kernel", guest.Kernel);
            json.WriteString("initramfs", guest.Initramfs);
            json.WriteString("rootfs", guest.RootDisk);
            if (disk is not null)
            {
                json.WriteString("disk", disk);
            }
            json.WriteString("guest", guest.Variant == GuestVariant.NoModules ? "no-modules" : "default");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
