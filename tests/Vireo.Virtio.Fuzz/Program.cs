using SharpFuzz;
using Vireo.Virtio.Fuzz;

// Vireo.Virtio.Fuzz: the virtqueue target for afl-fuzz (tools/fuzz/virtio.sh).
//   Vireo.Virtio.Fuzz virtqueue                    run under afl-fuzz (input on stdin)
//   Vireo.Virtio.Fuzz replay virtqueue FILE...     run inputs once, report each
//   Vireo.Virtio.Fuzz write-seeds DIR              write the seed corpus
const string Usage = "usage: Vireo.Virtio.Fuzz virtqueue | replay virtqueue FILE... | write-seeds DIR";
if (args is ["virtqueue"])
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _ = VirtqueueTarget.Run(copy.ToArray());
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && args[1] == "virtqueue")
{
    int failed = 0;
    foreach (string file in args[2..])
    {
        try
        {
            _ = VirtqueueTarget.Run(File.ReadAllBytes(file));
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
if (args is ["write-seeds", var directory])
{
    Directory.CreateDirectory(directory);
    foreach ((string name, byte[] bytes) in VirtqueueSeeds.All())
    {
        File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }
    return 0;
}
Console.Error.WriteLine(Usage);
return 2;
