using Vireo.FuzzSupport;
using Vireo.Virtio.Fuzz;

// Vireo.Virtio.Fuzz: the virtqueue target for afl-fuzz (tools/fuzz/virtio.sh); the command line
// is FuzzHarness's (virtqueue | replay virtqueue FILE... | write-seeds DIR).
return FuzzHarness.Main("Vireo.Virtio.Fuzz", args,
    [new FuzzTarget("virtqueue", input => VirtqueueTarget.Run(input), VirtqueueSeeds.All)]);
