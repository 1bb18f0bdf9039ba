using Vireo.Kvm;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

[Collection(SerialCollection.Name)]
public sealed class TeardownTests
{
    [KvmFact]
    public void DisposingAMachineClosesEveryFdAndEndsEveryThread()
    {
        // Warm up once so lazily opened runtime fds are not counted as leaks.
        RunAndDispose();
        int fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        int threadsBefore = Directory.GetDirectories("/proc/self/task").Length;

        for (int i = 0; i < 3; i++)
        {
            RunAndDispose();
        }

        Assert.Equal(fdsBefore, Directory.GetFiles("/proc/self/fd").Length);
        Assert.True(Directory.GetDirectories("/proc/self/task").Length <= threadsBefore, "vCPU threads outlived their machine");
    }

    private static void RunAndDispose()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 0);           // spin
        TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 1, address: new Vireo.Memory.GuestAddress(0x11000));
        machine.Start();
        Thread.Sleep(5);
        machine.Stop();
    }
}
