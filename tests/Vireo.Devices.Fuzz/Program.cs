using Vireo.Devices.Fuzz;
using Vireo.FuzzSupport;

// Vireo.Devices.Fuzz: the bus target for afl-fuzz (tools/fuzz/devices.sh); the command line is
// FuzzHarness's (bus | replay bus FILE... | write-seeds DIR).
return FuzzHarness.Main("Vireo.Devices.Fuzz", args,
    [new FuzzTarget("bus", input => BusTarget.Run(input), () => BusSeeds.All().Select(s => (s.Name, s.Bytes)))]);
