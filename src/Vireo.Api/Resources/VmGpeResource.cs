using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.gpe</c> with <c>{"gpe": N}</c>: raise general-purpose event N.</summary>
internal static class VmGpeResource
{
    // ACPI 6.5 §5.6.4.1.1: GPE handlers are named _Lxx/_Exx with two hex digits, so 0x00-0xFF.
    public const int MaxGpe = 0xFF;
    public const string Example = """{"gpe": 3}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmGpe, async exchange =>
        {
            GpeRequest request = RequestBody.ReadRequired(exchange, ApiJsonContext.Default.GpeRequest, Example);
            if (request.Gpe is < 0 or > MaxGpe)
            {
                throw new ApiRequestException(HttpStatus.BadRequest,
                    $"gpe must be 0 to {MaxGpe} (ACPI GPE handlers are _Lxx/_Exx with two hex digits), not {request.Gpe}");
            }
            await vm.SendAsync(new RaiseGpe(request.Gpe));
            VmAction.Done(exchange);
        });
}
