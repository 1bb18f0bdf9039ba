using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/openapi</c>: the OpenAPI document describing this API.</summary>
internal static class OpenApiResource
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(ApiPaths.OpenApi, context => ApiJson.WriteAsync(context, OpenApiDocument.Bytes));
}
