using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The default guest's root disk as e2fsprogs reads it back, and the boot scripts as
/// busybox's own shell parses them. That a stock kernel boots it is in <see cref="L2VirtioTests"/>.</summary>
public sealed class DefaultRootDiskTests
{
    private const string Tools = "PATH=\"$PATH:/usr/sbin:/sbin\"";

    [LabFact("busybox", "mkfs.ext4", "debugfs")]
    public void The_image_is_a_labelled_ext4_with_busybox_init_and_the_boot_files()
    {
        HostPackages.EnsureInstalled(["busybox-static", "e2fsprogs"]);
        using var temp = new TempDirectory();
        string image = temp.Combine("root.ext4");

        DefaultRootDisk.Build(image, "/bin/busybox");

        Assert.Equal(DefaultRootDisk.SizeBytes, new FileInfo(image).Length);
        string stats = Tool.Run($"{Tools} dumpe2fs", $"-h '{image}' 2>/dev/null");
        Assert.Matches($@"(?m)^Filesystem volume name:\s+{DefaultRootDisk.Label}$", stats);
        Assert.Matches(@"(?m)^Filesystem features:.*\bhas_journal\b", stats);
        // busybox init is /sbin/init, as the initramfs's switch_root and a kernel booted from the disk expect.
        Assert.Contains("Fast link dest: \"/bin/busybox\"", Tool.Run($"{Tools} debugfs", $"-R 'stat /sbin/init' '{image}' 2>/dev/null"), StringComparison.Ordinal);
        Assert.Contains("Fast link dest: \"/bin/busybox\"", Tool.Run($"{Tools} debugfs", $"-R 'stat /bin/sh' '{image}' 2>/dev/null"), StringComparison.Ordinal);
        Assert.Equal(DefaultRootDisk.Inittab + "\n", Dump(image, "/etc/inittab", temp));
        Assert.Equal(DefaultRootDisk.BootScript + "\n", Dump(image, "/etc/init.d/rcS", temp));
        Assert.Equal(DefaultRootDisk.ShutdownScript + "\n", Dump(image, "/etc/init.d/rcK", temp));
        Assert.Equal(DefaultRootDisk.PowerButtonAction, Dump(image, "/etc/acpi/PWRF/00000080", temp));
        Assert.Equal(new FileInfo("/bin/busybox").Length, Encoding.Latin1.GetByteCount(Dump(image, "/bin/busybox", temp, Encoding.Latin1)));
        // Executable scripts, a world-writable sticky /tmp, and root owns the top directory.
        Assert.Contains("Mode:  0755", Tool.Run($"{Tools} debugfs", $"-R 'stat /etc/init.d/rcS' '{image}' 2>/dev/null"), StringComparison.Ordinal);
        Assert.Contains("Mode:  01777", Tool.Run($"{Tools} debugfs", $"-R 'stat /tmp' '{image}' 2>/dev/null"), StringComparison.Ordinal);
        Assert.Matches(@"User:\s+0\s+Group:\s+0", Tool.Run($"{Tools} debugfs", $"-R 'stat /' '{image}' 2>/dev/null"));
    }

    [LabFact("busybox")]
    public void The_boot_scripts_parse_in_busybox_sh()
    {
        using var temp = new TempDirectory();
        foreach ((string name, string script) in (ReadOnlySpan<(string, string)>)[
            ("rcS", DefaultRootDisk.BootScript),
            ("rcK", DefaultRootDisk.ShutdownScript),
            ("init-default", DefaultGuest.InitScriptFor(GuestVariant.Default)),
            ("init-no-modules", DefaultGuest.InitScriptFor(GuestVariant.NoModules))])
        {
            string path = temp.Combine(name);
            File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
            Tool.Run("/bin/busybox", $"sh -n '{path}'");
        }
        // Both initramfs variants can boot a root disk; acpid starts only when the initramfs keeps running.
        foreach (GuestVariant variant in (ReadOnlySpan<GuestVariant>)[GuestVariant.Default, GuestVariant.NoModules])
        {
            string init = DefaultGuest.InitScriptFor(variant);
            Assert.Contains("exec switch_root /newroot /sbin/init", init, StringComparison.Ordinal);
            int acpid = init.IndexOf("acpid -l", StringComparison.Ordinal);
            Assert.True(acpid < 0 || acpid > init.IndexOf("switch_root", StringComparison.Ordinal), "acpid started before the root switch");
        }
    }

    [LabFact("busybox")]
    public void Every_command_the_boot_scripts_run_is_a_busybox_applet_or_a_shell_builtin()
    {
        // Debian's busybox-static has no `mountpoint`, which the first rcS used: "not found" at
        // every boot. A command missing from the busybox the disk carries fails only in a guest.
        HashSet<string> applets = [.. Tool.Run("/bin/busybox", "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        HashSet<string> shell = ["if", "then", "else", "elif", "fi", "for", "in", "do", "done", "case", "esac", "while", "until",
            "echo", "exec", "read", "set", "export", "cd", "continue", "break", "return", "local", "shift", "exit", "wait", "trap", "true", "false"];
        foreach ((string name, string script) in (ReadOnlySpan<(string, string)>)[
            ("rcS", DefaultRootDisk.BootScript), ("rcK", DefaultRootDisk.ShutdownScript), ("power button", DefaultRootDisk.PowerButtonAction),
            ("initramfs /init", DefaultGuest.InitScriptFor(GuestVariant.Default))])
        {
            // Each line with its quoted text blanked, and each command substitution on its own
            // (quoted or not), since those run commands too.
            IEnumerable<string> pieces = script.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
                .SelectMany(l => System.Text.RegularExpressions.Regex.Matches(l, @"\$\((?<inner>[^()]*)\)").Select(m => m.Groups["inner"].Value).Prepend(l))
                .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"""[^""]*""|'[^']*'", "\"\""));
            foreach (string line in pieces)
            {
                // Words in command position: at the start, after ; && || | ( and the keywords that start a command.
                foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(line,
                    @"(?:^|[;&|(]|\b(?:then|do|else)\s)\s*(?<word>[a-z_][a-z0-9_.-]*)(?=\s|$|;)"))
                {
                    string word = m.Groups["word"].Value;
                    if (line.Contains(word + "=", StringComparison.Ordinal) && !line.Contains(" " + word + " ", StringComparison.Ordinal) && !line.StartsWith(word + " ", StringComparison.Ordinal))
                    {
                        continue; // an assignment, not a command
                    }
                    Assert.True(applets.Contains(word) || shell.Contains(word), $"{name}: `{word}` (in `{line}`) is neither a busybox applet nor a shell builtin");
                }
            }
        }
    }

    [LabFact("busybox", "mkfs.ext4")]
    public void The_machine_disk_is_made_once_and_kept_between_runs()
    {
        using var temp = new TempDirectory();
        var cache = new LabCache(temp.Combine("cache"));
        string pristine = temp.Combine("pristine.ext4");
        File.WriteAllBytes(pristine, [1, 2, 3]);

        (string disk, bool created) = DefaultRootDisk.MachineDisk(cache, pristine);
        Assert.True(created);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(disk));
        File.WriteAllBytes(disk, [9]); // what the guest wrote
        (string again, bool createdAgain) = DefaultRootDisk.MachineDisk(cache, pristine);

        Assert.Equal(disk, again);
        Assert.False(createdAgain);
        Assert.Equal([9], File.ReadAllBytes(again));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(pristine));
    }

    private static string Dump(string image, string path, TempDirectory temp, Encoding? encoding = null)
    {
        string output = temp.Combine(Path.GetFileName(path) + ".out");
        File.Delete(output);
        Tool.Run($"{Tools} debugfs", $"-R 'dump {path} {output}' '{image}' 2>/dev/null");
        return File.ReadAllText(output, encoding ?? Encoding.UTF8);
    }
}
