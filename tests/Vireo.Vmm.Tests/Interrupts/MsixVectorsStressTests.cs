using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

public sealed class MsixVectorsStressTests
{
    [Fact]
    public async Task Masking_from_two_vcpus_while_the_device_signals_ends_consistent()
    {
        var kvm = new FakeKvmInterrupts();
        using var interrupts = new DeviceInterrupts(kvm);
        EventFd[] triggers = [.. Enumerable.Range(0, 4).Select(_ => EventFd.Create())];
        try
        {
            using MsixVectors msix = interrupts.CreateMsix(0x18, new MsixTable(4), triggers);
            msix.SetControl(enabled: true, functionMasked: false);
            using var stop = new CancellationTokenSource();

            Task device = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    foreach (EventFd trigger in triggers)
                    {
                        trigger.Signal();
                    }
                }
            });
            Task[] vcpus = [.. new[] { 0, 2 }.Select(first => Task.Run(() =>
            {
                for (int i = 0; i < 300; i++)
                {
                    msix.WriteTable((ulong)((first + (i % 2)) * 16), Entry(0x40 + (uint)first, masked: i % 3 == 0));
                }
            }))];
            await Task.WhenAll(vcpus);
            stop.Cancel();
            await device;

            for (int v = 0; v < 4; v++)
            {
                msix.WriteTable((ulong)(v * 16), Entry(0x40 + (uint)v, masked: false));
            }

            Assert.Equal(4, kvm.IrqfdCount);
            Assert.Equal(0, interrupts.WatchedEventFds);
            Assert.All(Enumerable.Range(0, 4), v => Assert.False(msix.IsPending(v)));
            Assert.Equal(4, kvm.LastTable.Count(e => e.IsMsi));
        }
        finally
        {
            foreach (EventFd trigger in triggers)
            {
                trigger.Dispose();
            }
        }
    }

    private static byte[] Entry(uint data, bool masked)
    {
        byte[] entry = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(entry, 0xFEE0_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), data);
        entry[12] = masked ? (byte)1 : (byte)0;
        return entry;
    }
}
