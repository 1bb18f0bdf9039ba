using System.Text;
using System.Text.Json;
using Vireo.Api.Http;
using Vireo.Api.Remote;

namespace Vireo.Api;

/// <summary><c>vireo remote --api-socket PATH &lt;command&gt;</c>: drives a running VMM through its
/// management API, like cloud-hypervisor's ch-remote. Exit status: 0 success, 1 the VMM refused
/// or could not be reached (message on stderr), 2 the command line is wrong.</summary>
public static class RemoteCommand
{
    public const string Help = """
        Usage: vireo remote --api-socket PATH <command> [options]

        Controls a VM started with `vireo run --api-socket PATH` through its management API
        (HTTP on that UNIX socket; `vireo remote --api-socket PATH openapi` describes it).

        Commands:
          info                   Print the VM's state as JSON: state, power_state, vcpus,
                                 memory_bytes, kernel, cmdline, uptime_ms.
          ping                   Print the VMM's version and process id as JSON.
          power-button           Press the ACPI power button; the guest decides what to do.
          shutdown [--force]     Ask the guest to power off, or with --force stop it at once.
          pause                  Stop every vCPU.
          resume                 Restart the vCPUs after pause.
          gpe N                  Raise ACPI general-purpose event N (0 to 255).
          wake [--delay-ms N]    Wake a guest suspended to idle (s2idle), now or N ms from now.
          events                 Print VM events as JSON lines until the VM exits (Ctrl+C stops).
          openapi                Print the OpenAPI document of the API.

        Options:
          --api-socket PATH      The socket given to `vireo run --api-socket` (required).
          -h, --help             Show this text.

        Exit status: 0 on success, 1 when the VMM refused or could not be reached, 2 when the
        command line is wrong. Errors go to stderr.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        RemoteArguments? parsed;
        try
        {
            parsed = RemoteArguments.Parse(args);
        }
        catch (RemoteUsageException e)
        {
            await stderr.WriteLineAsync($"vireo: remote: {e.Message}");
            return 2;
        }
        if (parsed is null)
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        using var client = new ApiClient(parsed.SocketPath);
        try
        {
            await RunAsync(client, parsed, stdout, cancellationToken);
            return 0;
        }
        catch (ApiClientException e)
        {
            await stderr.WriteLineAsync($"vireo: remote {parsed.Command}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return parsed.Command == "events" ? 0 : 1;
        }
    }

    private static async Task RunAsync(ApiClient client, RemoteArguments args, TextWriter stdout, CancellationToken cancellationToken)
    {
        switch (args.Command)
        {
            case "info":
                await stdout.WriteLineAsync(Indent(await client.GetStringAsync(ApiPaths.VmInfo, cancellationToken)));
                break;
            case "ping":
                await stdout.WriteLineAsync(Indent(await client.GetStringAsync(ApiPaths.VmmPing, cancellationToken)));
                break;
            case "openapi":
                await stdout.WriteLineAsync(Indent(await client.GetOpenApiAsync(cancellationToken)));
                break;
            case "power-button":
                await client.PowerButtonAsync(cancellationToken);
                break;
            case "shutdown":
                await client.ShutdownAsync(args.Force, cancellationToken);
                break;
            case "pause":
                await client.PauseAsync(cancellationToken);
                break;
            case "resume":
                await client.ResumeAsync(cancellationToken);
                break;
            case "gpe":
                await client.RaiseGpeAsync(args.Gpe, cancellationToken);
                break;
            case "wake":
                await client.WakeAsync(args.DelayMs is long ms ? TimeSpan.FromMilliseconds(ms) : null, cancellationToken);
                break;
            case "events":
                await foreach (string line in client.ReadEventLinesAsync(cancellationToken))
                {
                    await stdout.WriteLineAsync(line);
                    await stdout.FlushAsync(cancellationToken);
                }
                break;
            default:
                throw new InvalidOperationException($"remote command '{args.Command}' has no handler");
        }
    }

    /// <summary>Pretty-prints the server's JSON as it is, unknown fields included.</summary>
    private static string Indent(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                document.WriteTo(writer);
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return json.TrimEnd();
        }
    }
}
