using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vm.info</c>.</summary>
internal static class VmInfoResource
{
    public static void Map(IEndpointRouteBuilder endpoints, IVmm vm) =>
        endpoints.MapGet(ApiPaths.VmInfo, async context => await ApiJson.WriteAsync(context, await vm.SendAsync(new GetVmInfo()), ApiJsonContext.Default.VmInfo));
}
