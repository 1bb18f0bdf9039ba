using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.resume</c>.</summary>
internal static class VmResumeResource
{
    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmResume, VmAction.WithoutBody(() => vm.SendAsync(new ResumeVm())));
}
