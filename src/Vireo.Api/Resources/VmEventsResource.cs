using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vm.events</c>: a stream of VM events, one JSON object per line, for
/// as long as the client stays. The response headers are sent once the subscription exists, so a
/// client that has them sees every event published afterwards.</summary>
internal static class VmEventsResource
{
    public const string ContentType = "application/x-ndjson";

    public static void Map(IEndpointRouteBuilder endpoints, IVmm vm, int capacity, CancellationToken serverStopping) =>
        endpoints.MapGet(ApiPaths.VmEvents, async context =>
        {
            using VmEventSubscription subscription = vm.Events.Subscribe(capacity);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, serverStopping);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = ContentType;
            context.Response.Headers.CacheControl = "no-store";
            try
            {
                await context.Response.StartAsync(stop.Token);
                await context.Response.Body.FlushAsync(stop.Token);
                using var json = new Utf8JsonWriter(context.Response.BodyWriter, ApiJson.WriterOptions);
                await foreach (VmEvent e in subscription.ReadAllAsync(stop.Token))
                {
                    json.Reset();
                    JsonSerializer.Serialize(json, e, ApiJsonContext.Default.VmEvent);
                    context.Response.BodyWriter.Write("\n"u8);
                    // Awaits when the client reads slowly; meanwhile the subscription buffers
                    // and then drops, so the VMM never waits on this client.
                    FlushResult flushed = await context.Response.BodyWriter.FlushAsync(stop.Token);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The client left or the server is stopping: end the stream quietly.
            }
        });
}
