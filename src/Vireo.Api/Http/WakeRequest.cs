using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Optional body of <c>PUT vm.wake</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record WakeRequest
{
    public long? DelayMs { get; init; }
}
