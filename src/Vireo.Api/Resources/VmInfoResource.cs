using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vm.info</c>.</summary>
internal static class VmInfoResource
{
    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapGet(ApiPaths.VmInfo, async exchange =>
            ApiJson.Respond(exchange, await vm.SendAsync(new GetVmInfo()), ApiJsonContext.Default.VmInfo));
}
