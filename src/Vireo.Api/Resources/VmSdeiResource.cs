using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.sdei</c> with <c>{"event": N, "cpu": M}</c>: signal SDEI event N
/// from the host (arm64), on vCPU M for a private event or on every vCPU without one.</summary>
internal static class VmSdeiResource
{
    public const string Example = """{"event": 0, "cpu": 1}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmSdei, async exchange =>
        {
            SdeiSignalRequest request = RequestBody.ReadRequired(exchange, ApiJsonContext.Default.SdeiSignalRequest, Example);
            if (request.Cpu is < 0)
            {
                throw new ApiRequestException(HttpStatus.BadRequest, $"cpu must be a vCPU index (0 or more), not {request.Cpu}");
            }
            await vm.SendAsync(new SignalSdeiEvent(request.Event, request.Cpu));
            VmAction.Done(exchange);
        });
}
