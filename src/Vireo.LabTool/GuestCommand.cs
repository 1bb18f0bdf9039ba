using System.Text;
using System.Text.Json;
using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`vireo-lab guest`: fetch (once) and print the default guest's kernel and initramfs,
/// for `vireo run --kernel K --initramfs I` on a host with hardware KVM.</summary>
internal static class GuestCommand
{
    public const string Help = """
        Usage: vireo-lab guest [--json] [--guest default|no-modules] [--kernel-flavour cloud|generic]

        Fetches Debian's stock kernel (apt-get download, unpacked once into the cache:
        ~/.cache/vireo, or $VIREO_CACHE) and builds a busybox initramfs for it, then prints
        both paths on stdout; progress goes to stderr. Boot it with
        `vireo run --kernel K --initramfs I` (tools/run-default-guest.sh does).

          --json            print {"kernel": ..., "initramfs": ..., "guest": ...}
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
        (GuestVariant variant, KernelFlavour flavour) = GuestChoices.Read(reader);
        reader.Done();

        DefaultGuest guest = DefaultGuest.Prepare(progress: stderr, variant: variant, flavour: flavour);
        stdout.Write(json ? ToJson(guest) + "\n" : $"kernel: {guest.Kernel}\ninitramfs: {guest.Initramfs}\n");
        return Task.FromResult(0);
    }

    internal static string ToJson(DefaultGuest guest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kernel", guest.Kernel);
            json.WriteString("initramfs", guest.Initramfs);
            json.WriteString("guest", guest.Variant == GuestVariant.NoModules ? "no-modules" : "default");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
