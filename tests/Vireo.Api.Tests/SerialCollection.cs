namespace Vireo.Api.Tests;

/// <summary>Tests that must not run beside others (they load the CPU on purpose).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
