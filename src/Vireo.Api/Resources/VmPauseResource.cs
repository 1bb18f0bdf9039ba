using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.pause</c>.</summary>
internal static class VmPauseResource
{
    public static void Map(IEndpointRouteBuilder endpoints, IVmm vm) =>
        endpoints.MapPut(ApiPaths.VmPause, VmAction.WithoutBody(() => vm.SendAsync(new PauseVm())));
}
