namespace Vireo.Agent.Tests;

/// <summary>Tests that count the process's descriptors run alone, so another class's sockets
/// cannot appear or vanish between their two counts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
