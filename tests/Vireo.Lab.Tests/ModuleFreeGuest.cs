using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>
/// The default guest's busybox and /init with no kernel modules in the initramfs, as a user's own
/// initramfs may be: no button.ko (so no power-button events reach the guest), no evdev. What the
/// guest can do is what the stock kernel does with its built-in drivers alone.
/// </summary>
internal static class ModuleFreeGuest
{
    public const string InitramfsInL1 = "/l2/module-free.cpio.gz";

    /// <summary>Writes the initramfs into <paramref name="directory"/>; busybox-static must be
    /// installed (<see cref="DefaultGuest.Prepare"/> sees to it).</summary>
    public static string Build(string directory)
    {
        string path = Path.Combine(directory, "module-free.cpio.gz");
        using FileStream file = File.Create(path);
        DefaultGuest.Write(file, "/bin/busybox", []);
        return path;
    }
}
