namespace Vireo.Lab.Tests;

/// <summary>Every lab scenario class shares one L1 boot.</summary>
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<L1Fixture>
{
    public const string Name = "lab";
}
