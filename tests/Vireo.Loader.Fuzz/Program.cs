using SharpFuzz;
using Vireo.Loader.Fuzz;

// Vireo.Loader.Fuzz: the bzimage target for afl-fuzz (tools/fuzz/loader.sh).
//   Vireo.Loader.Fuzz bzimage                    run under afl-fuzz (input on stdin)
//   Vireo.Loader.Fuzz replay bzimage FILE...     run inputs once, report each
//   Vireo.Loader.Fuzz write-seeds DIR            write the seed corpus
const string Usage = "usage: Vireo.Loader.Fuzz bzimage | replay bzimage FILE... | write-seeds DIR";
if (args is ["bzimage"])
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _ = BzImageTarget.Run(copy.ToArray());
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && args[1] == "bzimage")
{
    int failed = 0;
    foreach (string file in args[2..])
    {
        try
        {
            BzImageOutcome outcome = BzImageTarget.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file}: {outcome}");
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
    foreach (BzImageSeed seed in BzImageSeeds.All())
    {
        File.WriteAllBytes(Path.Combine(directory, seed.Name), seed.Bytes);
    }
    return 0;
}
Console.Error.WriteLine(Usage);
return 2;
