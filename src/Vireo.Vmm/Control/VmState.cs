using System.Text.Json.Serialization;

namespace Vireo.Vmm;

/// <summary>The VM's life cycle as the VMM sees it (the guest's own power state is
/// <see cref="VmInfo.PowerState"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmState>))]
public enum VmState
{
    [JsonStringEnumMemberName("created")]
    Created,

    [JsonStringEnumMemberName("running")]
    Running,

    [JsonStringEnumMemberName("paused")]
    Paused,

    [JsonStringEnumMemberName("shutdown")]
    Shutdown,
}
