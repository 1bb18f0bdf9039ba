using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vmm.ping</c>: is a Vireo API server answering here, and which.</summary>
internal static class VmmPingResource
{
    public static void Map(ApiRouter router, ApiPing ping)
    {
        // The answer never changes: serialize it once.
        byte[] answer = ApiJson.Serialize(ping, ApiJsonContext.Default.ApiPing);
        router.MapGet(ApiPaths.VmmPing, exchange =>
        {
            exchange.Respond(HttpStatus.Ok, ApiJson.ContentType, answer);
            return Task.CompletedTask;
        });
    }
}
