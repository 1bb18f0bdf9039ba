using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/openapi</c>: the OpenAPI document describing this API.</summary>
internal static class OpenApiResource
{
    public static void Map(ApiRouter router) =>
        router.MapGet(ApiPaths.OpenApi, exchange =>
        {
            exchange.Respond(HttpStatus.Ok, ApiJson.ContentType, OpenApiDocument.Answer);
            return Task.CompletedTask;
        });
}
