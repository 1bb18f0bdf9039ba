using Vireo.Kvm;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

[Collection(SerialCollection.Name)]
public sealed class TeardownTests
{
    [KvmFact]
    public void DisposingAMachineClosesEveryFdAndEndsEveryThread()
    {
        Assert.Empty(VmmFds());
        Assert.Empty(VcpuThreads());

        for (int i = 0; i < 3; i++)
        {
            using (KvmSystem kvm = KvmSystem.Open())
            using (Machine machine = TestGuest.Create(kvm, cpus: 2))
            {
                TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 0); // spin
                TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 1, address: new Vireo.Memory.GuestAddress(0x11000));
                machine.Start();
                Thread.Sleep(5);
                // While it runs, the probes do see what they look for.
                Assert.Contains(VmmFds(), f => f.StartsWith("anon_inode:kvm-vcpu", StringComparison.Ordinal));
                Assert.Equal(2, VcpuThreads().Count);
                machine.Stop();
            }

            Assert.Empty(VmmFds());
            // Thread.Join returns when the managed thread is done; the kernel may list the task
            // in /proc a moment longer while it exits, so give it a bounded moment.
            SpinWait.SpinUntil(() => VcpuThreads().Count == 0, TimeSpan.FromSeconds(5));
            Assert.Empty(VcpuThreads());
        }
    }

    [KvmFact]
    public void SharedGuestMemoryIsAMemfdWhileTheMachineLivesAndClosedWithIt()
    {
        Assert.Empty(VmmFds());
        using (KvmSystem kvm = KvmSystem.Open())
        using (Machine machine = Machine.Create(kvm, new MachineConfig { MemoryBytes = 4UL << 20, MemoryBacking = Vireo.Memory.GuestMemoryBacking.Shared, InKernelIrqchip = false }))
        {
            Assert.NotNull(machine.Memory.Regions[0].Fd);
            Assert.Contains(VmmFds(), f => f.Contains("vireo-ram", StringComparison.Ordinal));
            // The guest runs on it like on private memory: it stores a byte the host then reads.
            TestGuest.LoadRealMode(machine, [0xc6, 0x06, 0x00, 0x20, 0x5a, 0xf4]); // mov byte [0x2000], 0x5a; hlt
            Assert.Equal(MachineExitReason.Halted, TestGuest.RunToExit(machine).Reason);
            Assert.Equal((byte)0x5a, machine.Memory.Read<byte>(new Vireo.Memory.GuestAddress(0x2000)));
        }
        Assert.Empty(VmmFds());
    }

    /// <summary>Open fds that belong to a VM: /dev/kvm, the VM and vCPU fds, guest RAM memfds.</summary>
    private static List<string> VmmFds()
    {
        var found = new List<string>();
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                // The fd closed while we looked.
            }
            if (target is not null && (target == "/dev/kvm" || target.StartsWith("anon_inode:kvm", StringComparison.Ordinal) || target.Contains("vireo-ram", StringComparison.Ordinal)))
            {
                found.Add(target);
            }
        }
        return found;
    }

    /// <summary>Threads whose kernel name is a vCPU runner's ("vcpu0", "vcpu1", ...).</summary>
    private static List<string> VcpuThreads()
    {
        var names = new List<string>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (comm.StartsWith("vcpu", StringComparison.Ordinal))
                {
                    names.Add(comm);
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }
        return names;
    }
}
