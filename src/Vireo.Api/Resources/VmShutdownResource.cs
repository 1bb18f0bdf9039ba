using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.shutdown</c> with an optional <c>{"force": true}</c>.</summary>
internal static class VmShutdownResource
{
    public const string Example = """{"force": false}""";

    public static void Map(IEndpointRouteBuilder endpoints, IVmm vm) =>
        endpoints.MapPut(ApiPaths.VmShutdown, async context =>
        {
            ShutdownRequest? request = await RequestBody.ReadOptionalAsync(context, ApiJsonContext.Default.ShutdownRequest, Example);
            await vm.SendAsync(new ShutdownVm(request?.Force ?? false));
            VmAction.Done(context);
        });
}
