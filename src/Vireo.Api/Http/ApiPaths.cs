namespace Vireo.Api.Http;

/// <summary>The versioned paths, shared by the server and the client.</summary>
internal static class ApiPaths
{
    public const string Prefix = "/api/v1";
    public const string VmmPing = Prefix + "/vmm.ping";
    public const string OpenApi = Prefix + "/openapi";
    public const string VmInfo = Prefix + "/vm.info";
    public const string VmPowerButton = Prefix + "/vm.power-button";
    public const string VmShutdown = Prefix + "/vm.shutdown";
    public const string VmPause = Prefix + "/vm.pause";
    public const string VmResume = Prefix + "/vm.resume";
    public const string VmGpe = Prefix + "/vm.gpe";

    /// <summary>Signal an SDEI event from the host (arm64).</summary>
    public const string VmSdei = Prefix + "/vm.sdei";

    /// <summary>Write a snapshot of the paused VM (arm64).</summary>
    public const string VmSnapshot = Prefix + "/vm.snapshot";
    public const string VmWake = Prefix + "/vm.wake";
    public const string VmDevicePower = Prefix + "/vm.device-power";
    public const string VmEvents = Prefix + "/vm.events";
}
