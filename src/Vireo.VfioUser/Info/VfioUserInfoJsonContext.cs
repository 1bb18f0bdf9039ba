using System.Text.Json.Serialization;

namespace Vireo.VfioUser;

/// <summary>Source-generated JSON for the info report (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(VfioUserDeviceReport))]
public sealed partial class VfioUserInfoJsonContext : JsonSerializerContext;
