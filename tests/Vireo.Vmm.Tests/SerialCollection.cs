namespace Vireo.Vmm.Tests;

/// <summary>Tests that count process-wide resources (fds, threads) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
