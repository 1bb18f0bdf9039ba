using SharpFuzz;
using Vireo.Api.Fuzz;

// Vireo.Api.Fuzz: the http target for afl-fuzz (tools/fuzz/api.sh).
//   Vireo.Api.Fuzz http                    run under afl-fuzz (input on stdin)
//   Vireo.Api.Fuzz replay http FILE...     run inputs once, report each
//   Vireo.Api.Fuzz write-seeds DIR         write the seed corpus
const string Usage = "usage: Vireo.Api.Fuzz http | replay http FILE... | write-seeds DIR";
if (args is ["http"])
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _ = HttpTarget.Run(copy.ToArray());
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && args[1] == "http")
{
    int failed = 0;
    foreach (string file in args[2..])
    {
        try
        {
            HttpRun run = HttpTarget.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file}: {run}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAILED  {file}: {e}");
        }
    }
    return failed == 0 ? 0 : 1;
}
if (args is ["write-seeds", var directory])
{
    Directory.CreateDirectory(directory);
    foreach (HttpSeed seed in HttpSeeds.All())
    {
        File.WriteAllBytes(Path.Combine(directory, seed.Name), seed.Bytes);
    }
    return 0;
}
Console.Error.WriteLine(Usage);
return 2;
