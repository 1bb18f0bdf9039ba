using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.power-button</c>: press the ACPI power button.</summary>
internal static class VmPowerButtonResource
{
    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmPowerButton, VmAction.WithoutBody(() => vm.SendAsync(new PressPowerButton())));
}
