using Microsoft.Extensions.Hosting;

namespace Vireo.Api.Http;

/// <summary>Replaces the host's ConsoleLifetime, which would take SIGINT/SIGTERM and print
/// banners: the VMM owns its signals and the guest console owns stdout.</summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
