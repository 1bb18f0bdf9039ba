using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.pause</c>.</summary>
internal static class VmPauseResource
{
    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmPause, VmAction.WithoutBody(() => vm.SendAsync(new PauseVm())));
}
