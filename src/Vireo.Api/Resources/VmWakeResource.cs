using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.wake</c> with an optional <c>{"delay_ms": N}</c>: wake a guest
/// suspended to idle, now or N ms from now.</summary>
internal static class VmWakeResource
{
    public const long MaxDelayMs = 24L * 60 * 60 * 1000;
    public const string Example = """{"delay_ms": 500}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmWake, async exchange =>
        {
            WakeRequest? request = RequestBody.ReadOptional(exchange, ApiJsonContext.Default.WakeRequest, Example);
            long? delayMs = request?.DelayMs;
            if (delayMs is < 0 or > MaxDelayMs)
            {
                throw new ApiRequestException(HttpStatus.BadRequest,
                    $"delay_ms must be 0 to {MaxDelayMs} (one day), not {delayMs}");
            }
            await vm.SendAsync(delayMs is long ms ? new WakeVm("api", TimeSpan.FromMilliseconds(ms), strict: true) : new WakeVm("api", strict: true));
            VmAction.Done(exchange);
        });
}
