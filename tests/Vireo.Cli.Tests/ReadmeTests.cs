using System.CommandLine;

namespace Vireo.Cli.Tests;

/// <summary>The README's `vireo` section describes the command line the parser really has.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void TheVireoSectionNamesEveryCommandAndEveryRunOption()
    {
        string section = VireoSection();
        Command root = CommandLine.CreateRoot();

        foreach (Command command in root.Subcommands.Where(c => c.Name != "help"))
        {
            Assert.Contains($"vireo {command.Name} ", section);
            foreach (Command sub in command.Subcommands.Where(c => c.Name != "help" && !c.Hidden))
            {
                Assert.Contains(sub.Name, section);
            }
        }
        Command run = root.Subcommands.Single(c => c.Name == "run");
        foreach (Option option in run.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help"))
        {
            Assert.Contains($"`{option.Name}", section);
        }
    }

    private static string VireoSection()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "README.md")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        string readme = File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
        int start = readme.IndexOf("## The `vireo` command", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no `vireo` command section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }
}
