using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>The client here, the sample device served by a separate vireo-device process.</summary>
public sealed class CrossProcessTests
{
    private const int Timeout = 60_000;

    [Fact(Timeout = Timeout)]
    public Task AcceleratorAcrossProcesses() => Task.Run(() =>
    {
        using var server = new DeviceProcess();
        using VfioUserClient client = VfioUserClient.Connect(server.Socket);
        VfioUserDeviceReport report = VfioUserInfo.Describe(client, server.Socket);
        Assert.Equal(6u, report.NumIrqs);
        Assert.True(report.Regions[2].MmapFdOffered);
        Assert.Contains("\"num_regions\": 9", VfioUserInfo.ToJson(report), StringComparison.Ordinal);
        Assert.Equal(AcceleratorDevice.Id, client.ReadRegionU32(0, AcceleratorDevice.RegId));

        // DMA copy between guest buffers in a memfd the server maps, completion on MSI-X 0.
        const ulong guest = 0x4000_0000;
        using SafeFd ram = MemFd.Create("guest", 0x10000);
        using MappedMemory map = MappedMemory.MapShared(ram, 0x10000);
        client.DmaMap(guest, 0x10000, DmaMapFlags.Read | DmaMapFlags.Write, ram);
        using EventFd vector0 = EventFd.Create();
        client.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        int msix = FindCapability(client, 0x11);
        client.WriteRegion(VfioRegionIndex.Config, (ulong)msix + 2, [0, 0x80]);
        unsafe
        {
            // Safe: the first 4 KiB of a 64 KiB mapping.
            new Span<byte>((byte*)map.DangerousGetAddress(), 4096).Fill(0xa5);
        }
        WriteU64(client, AcceleratorDevice.RegSource, guest);
        WriteU64(client, AcceleratorDevice.RegDestination, guest + 0x8000);
        client.WriteRegionU32(0, AcceleratorDevice.RegLength, 4096);
        client.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
        Assert.Equal(1UL, vector0.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(AcceleratorDevice.StatusDone, client.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        unsafe
        {
            // Safe: 4 KiB at offset 0x8000 of the 64 KiB mapping.
            Assert.True(new ReadOnlySpan<byte>((byte*)map.DangerousGetAddress() + 0x8000, 4096).IndexOfAnyExcept((byte)0xa5) < 0);
        }

        // A power-budget change: ACPI notify 0x81 on index 5, and a wake while in low power.
        using EventFd acpi = EventFd.Create();
        client.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [acpi]);
        using EventFd wake = EventFd.Create();
        client.LowPowerEntryWithWakeup(wake);
        client.Post(VfioUserCommand.DeviceGetInfo, DeviceInfo.Request);
        Assert.Equal(0UL, wake.TryRead());
        client.WriteRegionU32(0, AcceleratorDevice.RegPowerBudget, 50);
        Assert.Equal(1UL, wake.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(AcpiNotification.TryDecode(acpi.Wait(TimeSpan.FromSeconds(10)), out AcpiNotification n));
        Assert.Equal(AcceleratorDevice.PowerBudgetNotify, n.Code);
    });

    [Fact(Timeout = Timeout)]
    public Task ServerProcessTakesTheNextClient() => Task.Run(() =>
    {
        using var server = new DeviceProcess();
        using (VfioUserClient first = VfioUserClient.Connect(server.Socket))
        {
            first.WriteRegionU32(0, AcceleratorDevice.RegLength, 77);
        }
        using VfioUserClient second = VfioUserClient.Connect(server.Socket);
        Assert.Equal(77u, second.ReadRegionU32(0, AcceleratorDevice.RegLength));
    });

    [Fact(Timeout = Timeout)]
    public Task DoorbellEventFdAndAutomaskedIntxAcrossProcesses() => Task.Run(() =>
    {
        using var server = new DeviceProcess();
        using VfioUserClient client = VfioUserClient.Connect(server.Socket);
        const ulong guest = 0x8000_0000;
        using SafeFd ram = MemFd.Create("guest", 0x4000);
        client.DmaMap(guest, 0x4000, DmaMapFlags.Read | DmaMapFlags.Write, ram);
        using EventFd intx = EventFd.Create();
        using EventFd unmask = EventFd.Create();
        client.SetIrqEventFds(VfioIrqIndex.Intx, 0, [intx]);
        client.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        IReadOnlyList<RegionIoEventFd> doorbells = client.GetRegionIoEventFds(0);
        try
        {
            RegionIoEventFd doorbell = Assert.Single(doorbells);
            Assert.Equal(AcceleratorDevice.RegDoorbell, doorbell.Entry.Offset);
            Assert.Equal(4UL, doorbell.Entry.Size);
            Assert.False(doorbell.HasDataMatch);
            WriteU64(client, AcceleratorDevice.RegSource, guest);
            WriteU64(client, AcceleratorDevice.RegDestination, guest + 0x2000);
            client.WriteRegionU32(0, AcceleratorDevice.RegLength, 256);

            Ring(doorbell.Fd);
            Assert.Equal(1UL, intx.Wait(TimeSpan.FromSeconds(10)));
            // The second completion finds INTx masked: the copy runs, the interrupt waits.
            Ring(doorbell.Fd);
            Assert.True(SpinUntil(() => client.ReadRegionU32(0, AcceleratorDevice.RegCompleted) == 2));
            Assert.Equal(0UL, intx.Wait(TimeSpan.FromMilliseconds(300)));
            // The guest's EOI, as KVM's resample irqfd reports it.
            unmask.Signal();
            Assert.Equal(1UL, intx.Wait(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            foreach (RegionIoEventFd d in doorbells)
            {
                d.Dispose();
            }
        }
    });

    private static void Ring(SafeFd doorbell)
    {
        using SafeFd copy = FileDescriptor.Duplicate(doorbell);
        EventFd.FromHandle(copy).Signal();
    }

    private static bool SpinUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(10);
        }
        return false;
    }

    private static int FindCapability(VfioUserClient client, byte id)
    {
        int at = (int)(client.ReadRegionU32(VfioRegionIndex.Config, 0x34) & 0xff);
        for (int i = 0; i < 48 && at != 0; i++)
        {
            uint header = client.ReadRegionU32(VfioRegionIndex.Config, (ulong)at);
            if ((byte)header == id)
            {
                return at;
            }
            at = (int)((header >> 8) & 0xff);
        }
        throw new InvalidOperationException($"no capability {id:x}");
    }

    private static void WriteU64(VfioUserClient client, ulong offset, ulong value)
    {
        byte[] data = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        client.WriteRegion(0, offset, data);
    }

    private sealed class DeviceProcess : IDisposable
    {
        private readonly Process _process;

        public DeviceProcess()
        {
            Socket = TestPaths.Socket();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
            start.ArgumentList.Add("--socket");
            start.ArgumentList.Add(Socket);
            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginErrorReadLine();
            Task<string?> line = _process.StandardOutput.ReadLineAsync();
            Assert.True(line.Wait(TimeSpan.FromSeconds(30)) && line.Result?.StartsWith("listening", StringComparison.Ordinal) == true, "vireo-device did not start");
        }

        public string Socket { get; }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.WaitForExit(5000);
            _process.Dispose();
            File.Delete(Socket);
        }
    }
}
