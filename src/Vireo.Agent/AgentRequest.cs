using System.Text;
using System.Text.Json;

namespace Vireo.Agent;

/// <summary>What a VMM asks the agent for: one device, for one VM, through a backend. On the
/// wire it is one JSON object on one line, at most <see cref="MaxBytes"/> bytes:
/// <c>{"vm":"web","device":"0000:00:03.0","backend":"auto"}</c>.</summary>
/// <param name="Vm">The VM's name (narrows the policy's grants; the user id decides).</param>
/// <param name="Device">A PCI address (0000:00:03.0) or a sysfs device path.</param>
/// <param name="Backend">"auto", "group" or "iommufd".</param>
public sealed record AgentRequest(string Vm, string Device, string Backend = "auto")
{
    /// <summary>The longest request line, newline included.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The longest VM name.</summary>
    public const int MaxVmNameLength = 64;

    /// <summary>The backends a request may name.</summary>
    public static IReadOnlyList<string> Backends { get; } = ["auto", "group", "iommufd"];

    /// <summary>Whether <paramref name="name"/> is 1-64 letters, digits, '.', '_' or '-'.</summary>
    public static bool IsValidVmName(string name)
        => name.Length is > 0 and <= MaxVmNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The request line, newline-terminated.</summary>
    public byte[] Encode() => AgentLine.Write(json =>
    {
        json.WriteString("vm", Vm);
        json.WriteString("device", Device);
        json.WriteString("backend", Backend);
    });

    /// <summary>Parses and checks a request line (without its newline).</summary>
    /// <exception cref="FormatException">Not a request; the message says what is wrong.</exception>
    public static AgentRequest Decode(ReadOnlySpan<byte> line)
    {
        string? vm = null, device = null, backend = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 2 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the request is not a JSON object");
            }
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"\"{property.Name}\" must be a string");
                }
                string value = property.Value.GetString()!;
                switch (property.Name)
                {
                    case "vm" when vm is null: vm = value; break;
                    case "device" when device is null: device = value; break;
                    case "backend" when backend is null: backend = value; break;
                    case "vm" or "device" or "backend": throw new FormatException($"\"{property.Name}\" is given twice");
                    default: throw new FormatException($"unknown field \"{property.Name}\" (vm, device, backend)");
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"the request is not JSON: {e.Message}", e);
        }
        if (vm is null || !IsValidVmName(vm))
        {
            throw new FormatException($"\"vm\" must be a VM name of 1-{MaxVmNameLength} letters, digits, '.', '_' or '-'");
        }
        if (string.IsNullOrEmpty(device) || device.Length > 512 || device.Any(char.IsControl))
        {
            throw new FormatException("\"device\" must be a PCI address or a sysfs path");
        }
        backend ??= "auto";
        if (!Backends.Contains(backend))
        {
            throw new FormatException($"\"backend\" must be one of {string.Join(", ", Backends)}, not '{backend}'");
        }
        return new AgentRequest(vm, device, backend);
    }

    /// <inheritdoc/>
    public override string ToString() => Encoding.UTF8.GetString(Encode()).TrimEnd('\n');
}
