using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Body of <c>PUT vm.gpe</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record GpeRequest
{
    public required int Gpe { get; init; }
}
