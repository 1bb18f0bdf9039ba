using SharpFuzz;

namespace Vireo.FuzzSupport;

/// <summary>One fuzz target of a harness.</summary>
/// <param name="Name">What afl-run.sh and <c>replay</c> call it (the corpus folder's name).</param>
/// <param name="Run">Runs one input; a finding escapes as an exception. What it returns is printed by <c>replay</c> (null: nothing).</param>
/// <param name="Seeds">The seed corpus <c>write-seeds</c> writes; null when the harness makes its seeds another way.</param>
public sealed record FuzzTarget(string Name, Func<byte[], object?> Run, Func<IEnumerable<(string Name, byte[] Bytes)>>? Seeds = null);

/// <summary>A harness's own command that takes one folder (e.g. recording seeds from a live session).</summary>
/// <param name="Name">The command word.</param>
/// <param name="Run">Writes into the folder, which exists.</param>
public sealed record FuzzCommand(string Name, Action<string> Run);

/// <summary>
/// The command line of every fuzz harness (tests/Vireo.*.Fuzz), run by tools/fuzz/afl-run.sh:
/// <list type="bullet">
/// <item><c>TARGET</c>: under afl-fuzz, one input per fork from stdin (SharpFuzz's fork server).</item>
/// <item><c>replay TARGET FILE...</c>: each input once, in this process, reported as <c>ok</c> or <c>FAILED</c> with the exception; exit 1 if any failed.</item>
/// <item><c>write-seeds DIR [TARGET]</c>: every target's seeds, when the targets have them, or only
/// TARGET's (a harness with several seeded targets keeps each in its own corpus folder).</item>
/// <item>the harness's own one-folder commands.</item>
/// </list>
/// Anything else prints the usage and exits 2.
/// </summary>
public static class FuzzHarness
{
    /// <summary>Runs the command <paramref name="args"/> names; returns the exit status.</summary>
    /// <param name="harness">The harness's name, for the usage line.</param>
    /// <param name="args">The command line.</param>
    /// <param name="targets">The harness's targets.</param>
    /// <param name="commands">The harness's own commands, if any.</param>
    public static int Main(string harness, string[] args, IReadOnlyList<FuzzTarget> targets, IReadOnlyList<FuzzCommand>? commands = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(targets);
        commands ??= [];
        string names = string.Join('|', targets.Select(t => t.Name));
        if (args.Length == 1 && Find(targets, args[0]) is { } fuzzed)
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                _ = fuzzed.Run(copy.ToArray());
            });
            return 0;
        }
        if (args.Length >= 3 && args[0] == "replay" && Find(targets, args[1]) is { } replayed)
        {
            int failed = 0;
            foreach (string file in args[2..])
            {
                try
                {
                    object? result = replayed.Run(File.ReadAllBytes(file));
                    Console.WriteLine(result is null ? $"ok      {file}" : $"ok      {file}: {result}");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"FAILED  {file}: {e}");
                }
            }
            return failed == 0 ? 0 : 1;
        }
        if (args is ["write-seeds", var seedDirectory, ..] && args.Length <= 3 && targets.Any(t => t.Seeds is not null)
            && (args.Length == 2 || targets.Any(t => t.Name == args[2] && t.Seeds is not null)))
        {
            Directory.CreateDirectory(seedDirectory);
            foreach (FuzzTarget target in targets.Where(t => t.Seeds is not null && (args.Length == 2 || t.Name == args[2])))
            {
                foreach ((string name, byte[] bytes) in target.Seeds!())
                {
                    File.WriteAllBytes(Path.Combine(seedDirectory, name), bytes);
                }
            }
            return 0;
        }
        if (args.Length == 2 && commands.FirstOrDefault(c => c.Name == args[0]) is { } command)
        {
            Directory.CreateDirectory(args[1]);
            command.Run(args[1]);
            return 0;
        }
        string own = string.Concat(commands.Select(c => $" | {c.Name} DIR"));
        string seeds = targets.Any(t => t.Seeds is not null) ? " | write-seeds DIR [TARGET]" : "";
        Console.Error.WriteLine($"usage: {harness} {names} | replay {names} FILE...{seeds}{own}");
        return 2;
    }

    private static FuzzTarget? Find(IReadOnlyList<FuzzTarget> targets, string name) => targets.FirstOrDefault(t => t.Name == name);
}
