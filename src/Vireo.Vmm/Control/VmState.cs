using System.Text.Json.Serialization;

namespace Vireo.Vmm;

/// <summary>The VM's life cycle as the VMM sees it (the guest's own power state is
/// <see cref="VmInfo.PowerState"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmState>))]
public enum VmState
{
    /// <summary>Built, not started yet.</summary>
    [JsonStringEnumMemberName("created")]
    Created,

    /// <summary>The vCPUs may run (the guest itself may be suspended to idle).</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>The host holds every vCPU.</summary>
    [JsonStringEnumMemberName("paused")]
    Paused,

    /// <summary>The VM has ended; only vm.info is answered.</summary>
    [JsonStringEnumMemberName("shutdown")]
    Shutdown,
}
