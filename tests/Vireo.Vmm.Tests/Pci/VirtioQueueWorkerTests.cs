using Vireo.Memory;
using Vireo.Sys;
using Vireo.Virtio;

namespace Vireo.Vmm.Tests;

/// <summary>The virtio worker's host sources: served when readable, and never spun on when the
/// guest cannot take their input.</summary>
public sealed class VirtioQueueWorkerTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_readable_source_whose_queue_cannot_be_served_is_parked_until_the_guest_kicks()
    {
        using var device = new HostSourceDevice();
        // No driver: the transport serves nothing, and the source stays readable for ever.
        var transport = new VirtioPciFunction("src", device);
        EventFd[] doorbells = [EventFd.Create()];
        try
        {
            using (var worker = new VirtioQueueWorker("src", transport, doorbells, _ => { }, device))
            {
                worker.Start();
                device.Source.Signal();
                Assert.True(SpinWait.SpinUntil(() => device.Served >= 1, s_wait), "the readable source was never served");
                Thread.Sleep(200);
                // Level-triggered and never read: without parking this would be thousands.
                Assert.Equal(1, device.Served);

                doorbells[0].Signal();
                Assert.True(SpinWait.SpinUntil(() => device.Served >= 2, s_wait), "a kick did not unpark the source");
                Thread.Sleep(200);
                Assert.Equal(2, device.Served);
            }
        }
        finally
        {
            doorbells[0].Dispose();
        }
    }

    [Fact]
    public void A_source_the_device_does_not_want_is_not_waited_on()
    {
        using var device = new HostSourceDevice { Wanted = false };
        var transport = new VirtioPciFunction("src", device);
        EventFd[] doorbells = [EventFd.Create()];
        try
        {
            using var worker = new VirtioQueueWorker("src", transport, doorbells, _ => { }, device);
            worker.Start();
            device.Source.Signal();
            Thread.Sleep(300);

            Assert.Equal(0, device.Served);
        }
        finally
        {
            doorbells[0].Dispose();
        }
    }

    [Fact]
    public async Task Parking_waits_for_the_devices_requests_in_flight_then_serves_nothing_until_resumed()
    {
        using var device = new HostSourceDevice { InFlight = 1 };
        var transport = new VirtioPciFunction("src", device);
        EventFd[] doorbells = [EventFd.Create()];
        try
        {
            using var worker = new VirtioQueueWorker("src", transport, doorbells, _ => { }, device);
            Assert.True(worker.Park(TimeSpan.Zero), "a worker that never started stands still");
            worker.Resume();
            worker.Start();

            // A request in flight: the worker does not stand still until its completion is served.
            Task<bool> parking = Task.Run(() => worker.Park(s_wait));
            Thread.Sleep(300);
            Assert.False(parking.IsCompleted, "the worker stood still with a request in flight");
            device.Source.Signal();
            Assert.True(await parking.WaitAsync(s_wait), "the worker did not stand still once the request completed");
            Assert.Equal(0, device.InFlight);
            int served = device.Served;

            // Standing still: neither the guest's kick nor the host's input is served.
            doorbells[0].Signal();
            Thread.Sleep(300);
            Assert.Equal(served, device.Served);

            // Resumed: the kick kept meanwhile unparks the source, which is served again.
            worker.Resume();
            Assert.True(SpinWait.SpinUntil(() => device.Served > served, s_wait), "the worker did not serve again after resuming");
        }
        finally
        {
            doorbells[0].Dispose();
        }
    }

    /// <summary>One queue and one host source, an eventfd the test signals and nobody reads.</summary>
    private sealed class HostSourceDevice : IVirtioDevice, IVirtioHostEvents, IDisposable
    {
        private int _served;

        public EventFd Source { get; } = EventFd.Create();

        public bool Wanted { get; init; } = true;

        private int _inFlight;

        /// <summary>Requests in flight; each serving of the source completes one.</summary>
        public int InFlight
        {
            get => Volatile.Read(ref _inFlight);
            init => _inFlight = value;
        }

        public bool Busy => InFlight > 0;

        public int Served => Volatile.Read(ref _served);

        public ushort DeviceType => 4;

        public ulong Features => 0;

        public IReadOnlyList<ushort> QueueMaxSizes { get; } = [16];

        public int ConfigSize => 0;

        public IReadOnlyList<SafeFd> HostEventSources => [Source.Handle];

        public ulong ServeHostEvent(int index)
        {
            Interlocked.Increment(ref _served);
            if (Volatile.Read(ref _inFlight) > 0)
            {
                Interlocked.Decrement(ref _inFlight);
            }
            return 1;
        }

        public bool WantsHostEvent(int index) => Wanted;

        public void ReadConfig(int offset, Span<byte> data) => data.Clear();

        public void WriteConfig(int offset, ReadOnlySpan<byte> data)
        {
        }

        public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
        {
        }

        public void FeaturesNegotiated(ulong features)
        {
        }

        public void Reset()
        {
        }

        public void Dispose() => Source.Dispose();
    }
}
