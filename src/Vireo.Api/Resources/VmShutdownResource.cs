using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.shutdown</c> with an optional <c>{"force": true}</c>.</summary>
internal static class VmShutdownResource
{
    public const string Example = """{"force": false}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmShutdown, async exchange =>
        {
            ShutdownRequest? request = RequestBody.ReadOptional(exchange, ApiJsonContext.Default.ShutdownRequest, Example);
            await vm.SendAsync(new ShutdownVm(request?.Force ?? false));
            VmAction.Done(exchange);
        });
}
