using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>PUT /api/v1/vm.snapshot</c> with <c>{"path": "/abs/dir"}</c>: write a snapshot of
/// the paused VM (its RAM and register lists) into the directory; <c>vireo run --restore DIR</c>
/// continues it in a new process.</summary>
internal static class VmSnapshotResource
{
    public const string Example = """{"path": "/var/lib/vireo/snap1"}""";

    public static void Map(ApiRouter router, IVmm vm) =>
        router.MapPut(ApiPaths.VmSnapshot, async exchange =>
        {
            SnapshotRequest request = RequestBody.ReadRequired(exchange, ApiJsonContext.Default.SnapshotRequest, Example);
            // The VMM's working directory is nobody's business: a relative path would land
            // wherever vireo happened to start.
            if (string.IsNullOrWhiteSpace(request.Path) || !Path.IsPathFullyQualified(request.Path) || request.Path.Contains('\0', StringComparison.Ordinal))
            {
                throw new ApiRequestException(HttpStatus.BadRequest, $"path must be an absolute directory path, not '{request.Path}'");
            }
            await vm.SendAsync(new SnapshotVm(request.Path));
            VmAction.Done(exchange);
        });
}
