namespace Vireo.Cli.Tests;

[Collection(SerialCollection.Name)]
public sealed class RunCommandTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(5000)]
    public async Task ACorruptKernelFileIsAClearErrorBeforeAnyVmExists(int length)
    {
        string path = Path.Combine(Path.GetTempPath(), $"vireo-garbage-{Guid.NewGuid():N}");
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
        int vmsBefore = CountKvmVmFds();
        try
        {
            var stderr = new StringWriter();

            int status = await CommandLine.RunAsync(["run", "--kernel", path], new StringWriter(), stderr);

            Assert.Equal(1, status);
            Assert.Matches("(not a bzImage|too short)", stderr.ToString());
            Assert.Contains(path, stderr.ToString());
            Assert.Equal(vmsBefore, CountKvmVmFds());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RunWithoutAKernelFetchesNothingAndNamesWhereTheDefaultGuestComesFrom()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run"], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Equal("", stdout.ToString());
        Assert.StartsWith("vireo: run needs --kernel", stderr.ToString());
        Assert.Contains("tools/run-default-guest.sh", stderr.ToString());
        Assert.Contains("vireo-lab guest", stderr.ToString());
        // One line, and nothing of the lab's progress (apt, downloads) before it.
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--kernel", "/boot/Image")]
    [InlineData("--cpus", "2")]
    [InlineData("--memory", "1G")]
    [InlineData("--cmdline", "quiet")]
    [InlineData("--append", "quiet")]
    public async Task RestoreTakesTheGuestAndItsShapeFromTheSnapshotAndRefusesThemGiven(string option, string value)
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--restore", "/tmp/snap", option, value], new StringWriter(), stderr));
        Assert.Contains($"--restore takes the kernel, initramfs, command line, vCPUs and memory from the snapshot; drop {option}", stderr.ToString());
    }

    [Theory]
    [InlineData("--vsock", "socket=/tmp/v.sock,cid=3")]
    [InlineData("--vfio-user", "socket=/tmp/dev.sock")]
    [InlineData("--vfio", "0000:01:00.0")]
    public async Task RestoreRefusesDevicesASnapshotCannotHold(string option, string value)
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--restore", "/tmp/snap", option, value], new StringWriter(), stderr));
        Assert.Contains($"--restore continues a snapshot, which holds no {option} device (only virtio disks, networks, rng and console); drop {option}", stderr.ToString());
    }

    [Theory]
    [InlineData("--disk", "path=/tmp/disk.img")]
    [InlineData("--rng", null)]
    [InlineData("--console", "virtio")]
    public async Task RestoreTakesTheVirtioDevicesOfTheSnapshottedVmAgain(string option, string? value)
    {
        // Past the options: the missing snapshot directory is the error, not the device.
        var stderr = new StringWriter();
        string[] args = value is null ? ["run", "--restore", "/nonexistent/snap", option] : ["run", "--restore", "/nonexistent/snap", option, value];

        Assert.Equal(1, await CommandLine.RunAsync(args, new StringWriter(), stderr));
        Assert.DoesNotContain($"drop {option}", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("/nonexistent/snap", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoringADirectoryThatHoldsNoSnapshotIsOneLineNamingIt()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"vireo-nosnap-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var stderr = new StringWriter();
            int vmsBefore = CountKvmVmFds();

            int status = await CommandLine.RunAsync(["run", "--restore", directory], new StringWriter(), stderr);

            Assert.Equal(1, status);
            Assert.Equal($"vireo: {directory} holds no snapshot (no vm.json; a snapshot that failed half way has none)", stderr.ToString().TrimEnd());
            Assert.Equal(vmsBefore, CountKvmVmFds());
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Fact]
    public void TheVireoAssemblyDoesNotReferenceTheLab()
    {
        Assert.DoesNotContain(typeof(CommandLine).Assembly.GetReferencedAssemblies(), a => a.Name is "Vireo.Lab" or "vireo-lab");
    }

    [Theory]
    [InlineData("--cpus", "0")]
    [InlineData("--cpus", "255")]
    [InlineData("--memory", "1M")]
    [InlineData("--memory", "lots")]
    [InlineData("--serial", "tcp=1234")]
    [InlineData("--initramfs", "/tmp/x")]
    [InlineData("--s2idle-wake-after", "-1s")]
    [InlineData("--s2idle-wake-after", "soon")]
    [InlineData("--on-reboot", "sometimes")]
    [InlineData("--memory", "3M")]
    public async Task BadRunOptionsAreUsageErrors(string option, string value)
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", option, value], new StringWriter(), stderr));
        Assert.StartsWith("vireo: ", stderr.ToString());
    }

    [Fact]
    public void GuestRamIsPrivateHugePageMemoryUnlessSharedMemoryIsAsked()
    {
        RunOptions plain = RunOptions.Parse([]);
        RunOptions shared = RunOptions.Parse(["--shared-memory", "--memory", "1G"]);

        Assert.Equal(Vireo.Memory.GuestMemoryBacking.Private, plain.ToConfig("k", null).MemoryBacking);
        Assert.Equal(Vireo.Memory.GuestMemoryBacking.Shared, shared.ToConfig("k", null).MemoryBacking);
        Assert.DoesNotContain("--shared-memory", plain.ForwardedArguments());
        // vireo lab run forwards it into the lab's vireo run.
        Assert.Contains("--shared-memory", shared.ForwardedArguments());
    }

    [Fact]
    public void SuspendAndResumeHooksAreForwardedToTheLab()
    {
        RunOptions options = RunOptions.Parse(["--on-suspend", "echo s >> /tmp/h", "--on-resume", "echo r >> /tmp/h"]);

        string[] forwarded = [.. options.ForwardedArguments()];
        Assert.Equal("echo s >> /tmp/h", forwarded[Array.IndexOf(forwarded, "--on-suspend") + 1]);
        Assert.Equal("echo r >> /tmp/h", forwarded[Array.IndexOf(forwarded, "--on-resume") + 1]);
        Assert.DoesNotContain("--on-suspend", RunOptions.Parse([]).ForwardedArguments());
    }

    [Fact]
    public void RunOptionsForTheLabRefuseARepeatedOptionToo()
    {
        var error = Assert.Throws<Vireo.Cli.Common.UsageException>(() => RunOptions.Parse(["--cpus", "2", "--cpus", "3"]));

        Assert.Contains("--cpus was given twice", error.Message);
    }

    [Fact]
    public void AnArgumentStartingWithAtIsAValueNotAResponseFile()
    {
        RunOptions options = RunOptions.Parse(["--append", "@/nonexistent/args", "--kernel", "@k"]);

        Assert.Equal("@/nonexistent/args", options.AppendCmdline);
        Assert.Equal("@k", options.Kernel);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("0ms", 0)]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2000)]
    public void S2idleWakeAfterIsParsedAndForwardedToTheLab(string text, double milliseconds)
    {
        RunOptions options = RunOptions.Parse(["--s2idle-wake-after", text]);

        // Zero is a value of its own (wake at the entry trap), not "no timer".
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), options.S2IdleWakeAfter);
        string[] forwarded = [.. options.ForwardedArguments()];
        int at = Array.IndexOf(forwarded, "--s2idle-wake-after");
        Assert.True(at >= 0);
        Assert.Equal($"{milliseconds}ms", forwarded[at + 1]);
    }

    private static int CountKvmVmFds() => Directory.GetFiles("/proc/self/fd")
        .Count(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget == "anon_inode:kvm-vm";
            }
            catch (IOException)
            {
                return false;
            }
        });
}
