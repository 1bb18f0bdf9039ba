using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Body of <c>PUT vm.sdei</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SdeiSignalRequest
{
    /// <summary>The SDEI event number.</summary>
    public required uint Event { get; init; }

    /// <summary>The vCPU for a private event; absent for every vCPU, or for a shared event.</summary>
    public int? Cpu { get; init; }
}
