using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vm.info</c>.</summary>
internal static class VmInfoResource
{
    public static void Map(IEndpointRouteBuilder endpoints, IVmController vm) =>
        endpoints.MapGet(ApiPaths.VmInfo, context => ApiJson.WriteAsync(context, vm.Info(), ApiJsonContext.Default.VmInfo));
}
