namespace Vireo.Cli.Tests;

/// <summary>Tests that count process-wide resources (KVM VM fds) run alone, after the parallel
/// ones, so another class's VM cannot appear or vanish between their two counts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
