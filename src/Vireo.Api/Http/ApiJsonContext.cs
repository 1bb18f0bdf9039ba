using System.Text.Json.Serialization;

namespace Vireo.Api.Http;

/// <summary>Source-generated JSON for every type on the wire (no reflection, NativeAOT-safe).
/// snake_case like cloud-hypervisor and Firecracker. Request types reject unknown fields (a typo
/// is reported, not ignored); responses tolerate them, so an older client reads a newer server.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(VmInfo))]
[JsonSerializable(typeof(IReadOnlyList<PciDeviceInfo>))]
[JsonSerializable(typeof(VmEvent))]
[JsonSerializable(typeof(ApiPing))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(ShutdownRequest))]
[JsonSerializable(typeof(GpeRequest))]
[JsonSerializable(typeof(SdeiSignalRequest))]
[JsonSerializable(typeof(SnapshotRequest))]
[JsonSerializable(typeof(DevicePowerRequest))]
[JsonSerializable(typeof(WakeRequest))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
