using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Body of <c>PUT vm.device-power</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record DevicePowerRequest
{
    public required string Id { get; init; }

    public required bool LowPower { get; init; }
}
