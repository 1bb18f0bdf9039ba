using Vireo.FuzzSupport;
using Vireo.VfioUser.Fuzz;

// Vireo.VfioUser.Fuzz: the server and client targets for afl-fuzz (tools/fuzz/vfio-user.sh); the
// command line is FuzzHarness's (server|client | replay server|client FILE...) and two seed
// writers: record-client-seeds DIR (live sessions, the client side) and write-version-seeds DIR
// (the server side's negotiation seeds).
return FuzzHarness.Main("Vireo.VfioUser.Fuzz", args,
    [
        new FuzzTarget("server", input => { ServerTarget.Run(input); return null; }),
        new FuzzTarget("client", input => { _ = ClientTarget.Run(input); return null; }),
    ],
    [
        new FuzzCommand("record-client-seeds", directory =>
        {
            File.WriteAllBytes(Path.Combine(directory, "session.bin"), ClientSeedRecorder.Record().Bytes);
            File.WriteAllBytes(Path.Combine(directory, "session-plain-server.bin"), ClientSeedRecorder.Record(new Vireo.VfioUser.VfioUserServerOptions { OfferLowPower = false, OfferAcpiNotify = false }).Bytes);
            File.WriteAllBytes(Path.Combine(directory, "session-plain-client.bin"), ClientSeedRecorder.Record(null, ClientTarget.Options() with { AnnounceLowPower = false, AnnounceAcpiNotify = false }).Bytes);
        }),
        new FuzzCommand("write-version-seeds", directory =>
        {
            foreach ((string name, byte[] bytes) in ServerTarget.NegotiationSeeds())
            {
                File.WriteAllBytes(Path.Combine(directory, name), bytes);
            }
        }),
    ]);
