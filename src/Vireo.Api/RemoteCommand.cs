using System.CommandLine;
using System.Text;
using System.Text.Json;
using Vireo.Api.Http;
using Vireo.Cli.Common;

namespace Vireo.Api;

/// <summary><c>vireo remote --api-socket PATH &lt;command&gt;</c>: drives a running VMM through its
/// management API, like cloud-hypervisor's ch-remote. Exit status: 0 success, 1 the VMM refused
/// or could not be reached (message on stderr), 2 the command line is wrong.</summary>
public static class RemoteCommand
{
    private const string Details = """
        Controls a VM started with `vireo run --api-socket PATH` through its management API
        (HTTP on that UNIX socket; `vireo remote --api-socket PATH openapi` describes it).

        Exit status: 0 on success, 1 when the VMM refused or could not be reached, 2 when the
        command line is wrong. Errors go to stderr.
        """;

    /// <summary>`vireo remote ARGS` on its own, as `vireo` runs it.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        VireoCommand root = CliRunner.CreateRoot("vireo", "vireo - a virtual machine monitor for Linux KVM");
        root.Subcommands.Add(Create());
        return CliRunner.RunAsync(root, ["remote", .. args], stdout, stderr, cancellationToken: cancellationToken);
    }

    /// <summary>The `remote` command, for <c>vireo</c>'s parser.</summary>
    public static Command Create()
    {
        var socket = new Option<string>("--api-socket")
        {
            HelpName = "PATH",
            Description = "The socket given to `vireo run --api-socket` (required; before or after the command).",
            Recursive = true,
        };
        var remote = new VireoCommand("remote", "Control a running VM through its API socket (like cloud-hypervisor's ch-remote).", Details) { socket };
        var force = new Option<bool>("--force") { Description = "Stop the VM at once instead of asking the guest." };
        var gpe = new Argument<long>("N")
        {
            Description = "The general-purpose event number, 0 to 255 (0x hex accepted).",
            CustomParser = NumberParser.Range(0, 255),
        };
        var delay = new Option<long>("--delay-ms")
        {
            HelpName = "N",
            Description = "Wake N milliseconds from now (0 to 86400000) instead of now.",
            CustomParser = NumberParser.Range(0, 86_400_000),
        };
        Add("info", "Print the VM's state as JSON: state, power_state, vcpus, memory_bytes, kernel, cmdline, uptime_ms, devices.",
            async (client, _, output, ct) => await output.WriteLineAsync(Indent(await client.GetStringAsync(ApiPaths.VmInfo, ct))));
        var json = new Option<bool>("--json") { Description = "Print vm.info's devices array as JSON instead of a table." };
        Add("devices", "List the VM's PCI devices: id, backend, BDF, vendor:device, interrupt mode, alive, BARs.",
            async (client, result, output, ct) => await output.WriteLineAsync(Devices(await client.GetStringAsync(ApiPaths.VmInfo, ct), result.GetValue(json))),
            json);
        Add("ping", "Print the VMM's version and process id as JSON.",
            async (client, _, output, ct) => await output.WriteLineAsync(Indent(await client.GetStringAsync(ApiPaths.VmmPing, ct))));
        Add("power-button", "Press the guest's power button (the ACPI one on a PC, the GPIO power key on arm64); the guest decides what to do. The power-button event names it.",
            (client, _, _, ct) => client.PowerButtonAsync(ct));
        Add("shutdown", "Ask the guest to power off, or with --force stop it at once.",
            (client, result, _, ct) => client.ShutdownAsync(result.GetValue(force), ct), force);
        Add("pause", "Stop every vCPU.", (client, _, _, ct) => client.PauseAsync(ct));
        Add("resume", "Restart the vCPUs after pause.", (client, _, _, ct) => client.ResumeAsync(ct));
        Add("gpe", "Raise ACPI general-purpose event N (0 to 255).",
            (client, result, _, ct) => client.RaiseGpeAsync((int)result.GetValue(gpe), ct), gpe);
        var sdeiEvent = new Argument<uint>("EVENT") { Description = "The SDEI event number." };
        var sdeiCpu = new Option<int?>("--cpu") { Description = "The vCPU (0, 1, ...) for a private event; every vCPU without it." };
        Add("sdei-signal", "Signal SDEI event EVENT from the host (arm64); the guest takes it if it registered and enabled it.",
            (client, result, _, ct) => client.SignalSdeiAsync(result.GetValue(sdeiEvent), result.GetValue(sdeiCpu), ct), sdeiEvent, sdeiCpu);
        var snapshotDirectory = new Argument<string>("DIR") { Description = "The snapshot's directory (created if missing; one that holds a snapshot is refused)." };
        Add("snapshot", "Write a snapshot of the paused VM (arm64) into DIR: its RAM and register lists. `vireo run --restore DIR` continues it.",
            (client, result, _, ct) => client.SnapshotAsync(result.GetRequiredValue(snapshotDirectory), ct), snapshotDirectory);
        var deviceId = new Argument<string>("NAME") { Description = "The assigned device's id (`vireo remote devices` lists them)." };
        var onOff = new Argument<string>("on|off") { Description = "on: let it enter low power; off: bring it back." };
        onOff.AcceptOnlyFromAmong("on", "off");
        Add("device-power", "Let an assigned device enter low power (on) or bring it back (off); the guest's next access wakes it.",
            (client, result, _, ct) => client.SetDeviceLowPowerAsync(result.GetRequiredValue(deviceId), result.GetRequiredValue(onOff) == "on", ct),
            deviceId, onOff);
        Add("wake", "Wake a guest suspended to idle (s2idle), now or N ms from now.",
            (client, result, _, ct) => client.WakeAsync(result.GetResult(delay) is null ? null : TimeSpan.FromMilliseconds(result.GetValue(delay)), ct),
            delay);
        Add("events", "Print VM events as JSON lines until the VM exits (Ctrl+C stops).", async (client, _, output, ct) =>
        {
            await foreach (string line in client.ReadEventLinesAsync(ct))
            {
                await output.WriteLineAsync(line);
                await output.FlushAsync(ct);
            }
        });
        Add("openapi", "Print the OpenAPI document of the API.",
            async (client, _, output, ct) => await output.WriteLineAsync(Indent(await client.GetOpenApiAsync(ct))));
        CliRunner.MakeGroup(remote);
        return remote;

        void Add(string name, string description, Func<ApiClient, ParseResult, TextWriter, CancellationToken, Task> call, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (Symbol symbol in symbols)
            {
                switch (symbol)
                {
                    case Option option:
                        command.Options.Add(option);
                        break;
                    case Argument argument:
                        command.Arguments.Add(argument);
                        break;
                }
            }
            command.Validators.Add(result =>
            {
                if (string.IsNullOrEmpty(result.GetValue(socket)))
                {
                    result.AddError("--api-socket PATH is required: the path given to `vireo run --api-socket`");
                }
            });
            command.SetAction((result, cancellationToken) => CallAsync(name, result.GetRequiredValue(socket), result, call, cancellationToken));
            remote.Subcommands.Add(command);
        }
    }

    private static async Task<int> CallAsync(
        string name, string socket, ParseResult result, Func<ApiClient, ParseResult, TextWriter, CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        using var client = new ApiClient(socket);
        try
        {
            await call(client, result, result.InvocationConfiguration.Output, cancellationToken);
            return 0;
        }
        catch (ApiClientException e)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync($"vireo: remote {name}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return name == "events" ? 0 : 1;
        }
    }

    /// <summary>vm.info's devices: the JSON array as the server sent it (indented), or a table.</summary>
    private static string Devices(string info, bool json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(info);
            if (!document.RootElement.TryGetProperty("devices", out JsonElement devices) || devices.ValueKind != JsonValueKind.Array)
            {
                throw new ApiClientException("the VMM's vm.info lists no devices: it is older than `remote devices`");
            }
            return json
                ? Indent(devices.GetRawText())
                : DeviceTable.Format(devices.Deserialize(ApiJsonContext.Default.IReadOnlyListPciDeviceInfo) ?? []);
        }
        catch (JsonException e)
        {
            throw new ApiClientException($"the VMM's vm.info is not what this vireo reads: {e.Message}");
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
