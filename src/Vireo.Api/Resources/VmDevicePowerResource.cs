using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.device-power</c> with <c>{"id": "edu", "low_power": true}</c>: let
/// an assigned device enter low power, or bring it back.</summary>
internal static class VmDevicePowerResource
{
    public const string Example = """{"id": "edu", "low_power": true}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmDevicePower, async exchange =>
        {
            DevicePowerRequest request = RequestBody.ReadRequired(exchange, ApiJsonContext.Default.DevicePowerRequest, Example);
            if (string.IsNullOrEmpty(request.Id) || request.Id.Length > 64)
            {
                throw new ApiRequestException(HttpStatus.BadRequest, "id must name an assigned device (1 to 64 characters; `vireo remote devices` lists them)");
            }
            await vm.SendAsync(new SetDeviceLowPower(request.Id, request.LowPower));
            VmAction.Done(exchange);
        });
}
