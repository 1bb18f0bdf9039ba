using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vmm.ping</c>: is a Vireo API server answering here, and which.</summary>
internal static class VmmPingResource
{
    public static void Map(IEndpointRouteBuilder endpoints, ApiPing ping) =>
        endpoints.MapGet(ApiPaths.VmmPing, context => ApiJson.WriteAsync(context, ping, ApiJsonContext.Default.ApiPing));
}
