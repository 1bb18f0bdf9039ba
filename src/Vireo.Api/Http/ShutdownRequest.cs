using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Optional body of <c>PUT vm.shutdown</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ShutdownRequest
{
    public bool Force { get; init; }
}
