using Vireo.FuzzSupport;
using Vireo.Loader.Fuzz;

// Vireo.Loader.Fuzz: the bzimage target for afl-fuzz (tools/fuzz/loader.sh); the command line is
// FuzzHarness's (bzimage | replay bzimage FILE... | write-seeds DIR).
return FuzzHarness.Main("Vireo.Loader.Fuzz", args,
    [new FuzzTarget("bzimage", input => BzImageTarget.Run(input), () => BzImageSeeds.All().Select(s => (s.Name, s.Bytes)))]);
