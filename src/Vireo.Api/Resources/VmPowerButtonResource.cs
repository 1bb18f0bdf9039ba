using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.power-button</c>: press the ACPI power button.</summary>
internal static class VmPowerButtonResource
{
    public static void Map(IEndpointRouteBuilder endpoints, IVmm vm) =>
        endpoints.MapPut(ApiPaths.VmPowerButton, VmAction.WithoutBody(() => vm.SendAsync(new PressPowerButton())));
}
