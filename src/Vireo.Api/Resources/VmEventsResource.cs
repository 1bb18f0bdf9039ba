using System.Buffers;
using Vireo.Api.Http;

namespace Vireo.Api.Resources;

/// <summary><c>GET /api/v1/vm.events</c>: a stream of VM events, one JSON object per line, for
/// as long as the client stays. The response head is sent once the subscription exists, so a
/// client that has it sees every event published afterwards.</summary>
internal static class VmEventsResource
{
    public const string ContentType = "application/x-ndjson";

    public static void Map(ApiRouter router, IVmm vm, int capacity, CancellationToken serverStopping) =>
        router.MapGet(ApiPaths.VmEvents, async exchange =>
        {
            using VmEventSubscription subscription = vm.Events.Subscribe(capacity);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(exchange.RequestAborted, serverStopping);
            var line = new ArrayBufferWriter<byte>(256);
            try
            {
                await exchange.StartStreamAsync(ContentType, stop.Token);
                await foreach (VmEvent e in subscription.ReadAllAsync(stop.Token))
                {
                    line.ResetWrittenCount();
                    ApiJson.Write(line, e, ApiJsonContext.Default.VmEvent);
                    // Awaits when the client reads slowly; meanwhile the subscription buffers
                    // and then drops, so the VMM never waits on this client.
                    await exchange.WriteStreamAsync(line.WrittenMemory, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The client left or the server is stopping: end the stream quietly.
            }
        });
}
