using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Body of <c>PUT vm.snapshot</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SnapshotRequest
{
    /// <summary>The snapshot's directory, an absolute path on the VMM's host.</summary>
    public required string Path { get; init; }
}
