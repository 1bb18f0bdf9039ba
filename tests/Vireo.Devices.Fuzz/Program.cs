using SharpFuzz;
using Vireo.Devices.Fuzz;

// Vireo.Devices.Fuzz: the bus target for afl-fuzz (tools/fuzz/devices.sh).
//   Vireo.Devices.Fuzz bus                    run under afl-fuzz (input on stdin)
//   Vireo.Devices.Fuzz replay bus FILE...     run inputs once, report each
//   Vireo.Devices.Fuzz write-seeds DIR        write the seed corpus
const string Usage = "usage: Vireo.Devices.Fuzz bus | replay bus FILE... | write-seeds DIR";
if (args is ["bus"])
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _ = BusTarget.Run(copy.ToArray());
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && args[1] == "bus")
{
    int failed = 0;
    foreach (string file in args[2..])
    {
        try
        {
            BusRunResult result = BusTarget.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file} ({result.Records} records, {result.Handled} accesses handled, {result.Unhandled} unowned)");
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
    foreach (BusSeed seed in BusSeeds.All())
    {
        File.WriteAllBytes(Path.Combine(directory, seed.Name), seed.Bytes);
    }
    return 0;
}
Console.Error.WriteLine(Usage);
return 2;
