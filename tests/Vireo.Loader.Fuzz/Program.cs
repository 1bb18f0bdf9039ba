using Vireo.FuzzSupport;
using Vireo.Loader.Fuzz;

// Vireo.Loader.Fuzz: the bzimage and arm64image targets for afl-fuzz (tools/fuzz/loader.sh); the
// command line is FuzzHarness's (TARGET | replay TARGET FILE... | write-seeds DIR).
return FuzzHarness.Main("Vireo.Loader.Fuzz", args,
[
    new FuzzTarget("bzimage", input => BzImageTarget.Run(input), () => BzImageSeeds.All().Select(s => (s.Name, s.Bytes))),
    new FuzzTarget("arm64image", input => Arm64ImageTarget.Run(input), () => Arm64ImageSeeds.All().Select(s => (s.Name, s.Bytes))),
]);
