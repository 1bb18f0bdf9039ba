using SharpFuzz;
using Vireo.VfioUser.Fuzz;

// Vireo.VfioUser.Fuzz: the targets for afl-fuzz (tools/fuzz/vfio-user.sh).
//   Vireo.VfioUser.Fuzz server|client            run under afl-fuzz (input on stdin/@@)
//   Vireo.VfioUser.Fuzz replay server|client FILE...   run inputs once, report each
//   Vireo.VfioUser.Fuzz record-client-seeds DIR   write the client-side seeds
//   Vireo.VfioUser.Fuzz write-version-seeds DIR   write the server-side negotiation seeds
const string Usage = "usage: Vireo.VfioUser.Fuzz server|client | replay server|client FILE... | record-client-seeds DIR | write-version-seeds DIR";
if (args.Length == 1 && Target(args[0]) is { } fuzzed)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        fuzzed(copy.ToArray());
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && Target(args[1]) is { } replayed)
{
    int failed = 0;
    foreach (string file in args[2..])
    {
        try
        {
            replayed(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAILED  {file}: {e}");
        }
    }
    return failed == 0 ? 0 : 1;
}
if (args.Length == 2 && args[0] == "record-client-seeds")
{
    Directory.CreateDirectory(args[1]);
    File.WriteAllBytes(Path.Combine(args[1], "session.bin"), ClientSeedRecorder.Record().Bytes);
    File.WriteAllBytes(Path.Combine(args[1], "session-plain-server.bin"), ClientSeedRecorder.Record(new Vireo.VfioUser.VfioUserServerOptions { OfferLowPower = false, OfferAcpiNotify = false }).Bytes);
    File.WriteAllBytes(Path.Combine(args[1], "session-plain-client.bin"), ClientSeedRecorder.Record(null, ClientTarget.Options() with { AnnounceLowPower = false, AnnounceAcpiNotify = false }).Bytes);
    return 0;
}
if (args.Length == 2 && args[0] == "write-version-seeds")
{
    Directory.CreateDirectory(args[1]);
    foreach ((string name, byte[] bytes) in ServerTarget.NegotiationSeeds())
    {
        File.WriteAllBytes(Path.Combine(args[1], name), bytes);
    }
    return 0;
}
Console.Error.WriteLine(Usage);
return 2;

static Action<byte[]>? Target(string name) => name switch
{
    "server" => input => ServerTarget.Run(input),
    "client" => input => _ = ClientTarget.Run(input),
    _ => null,
};
