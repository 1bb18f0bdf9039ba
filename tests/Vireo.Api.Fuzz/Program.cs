using Vireo.Api.Fuzz;
using Vireo.FuzzSupport;

// Vireo.Api.Fuzz: the http target for afl-fuzz (tools/fuzz/api.sh); the command line is
// FuzzHarness's (http | replay http FILE... | write-seeds DIR).
return FuzzHarness.Main("Vireo.Api.Fuzz", args,
    [new FuzzTarget("http", input => HttpTarget.Run(input), () => HttpSeeds.All().Select(s => (s.Name, s.Bytes)))]);
