using System.Globalization;
using System.Text.Json;
using Vireo.Vfio;

namespace Vireo.Agent;

/// <summary>
/// Who may have which assigned devices: the agent's whole policy, read from a JSON file:
/// <code>
/// { "grants": [ { "uid": 1000, "vm": "web", "devices": ["0000:00:03.0"] },
///               { "uid": 1001, "groups": [7] } ] }
/// </code>
/// A request is judged by the user id the kernel reports for the connection, never by anything
/// the VMM says about itself; a grant's <c>vm</c>, when present, narrows it to VMs of that name
/// run by that user. An IOMMU group is assigned as a whole (the VFIO design: a group is the unit
/// of isolation), so a device is granted only when every device of its group is.
/// </summary>
public sealed class AgentPolicy
{
    private AgentPolicy(IReadOnlyList<AgentPolicyGrant> grants) => Grants = grants;

    /// <summary>The grants, in file order.</summary>
    public IReadOnlyList<AgentPolicyGrant> Grants { get; }

    /// <summary>Reads and checks the policy at <paramref name="path"/>.</summary>
    /// <exception cref="AgentPolicyException">The file is missing, not JSON, or not a policy; the
    /// message says where and what.</exception>
    public static AgentPolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentPolicyException($"cannot read the policy {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses policy JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="AgentPolicyException">Not JSON or not a policy.</exception>
    public static AgentPolicy Parse(string json, string source = "the policy")
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(source, "must be a JSON object with a \"grants\" array");
            }
            var grants = new List<AgentPolicyGrant>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name != "grants")
                {
                    throw Bad(source, $"has an unknown field \"{property.Name}\" (only \"grants\")");
                }
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    throw Bad(source, "\"grants\" must be an array");
                }
                int index = 0;
                foreach (JsonElement grant in property.Value.EnumerateArray())
                {
                    grants.Add(ParseGrant(grant, $"{source}: grant {index}"));
                    index++;
                }
            }
            return new AgentPolicy(grants);
        }
        catch (JsonException e)
        {
            throw new AgentPolicyException($"{source} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Judges a request for the devices of one IOMMU group.</summary>
    /// <param name="uid">The connection's user id (SO_PEERCRED).</param>
    /// <param name="vm">The VM name the VMM asked under.</param>
    /// <param name="device">The device asked for, as the group lists it.</param>
    /// <returns>Null when granted, otherwise why not, in words for both logs.</returns>
    public string? Refusal(uint uid, string vm, AgentDeviceGroup device)
    {
        ArgumentNullException.ThrowIfNull(device);
        AgentPolicyGrant[] mine = [.. Grants.Where(g => g.Uid == uid && (g.Vm is null || g.Vm == vm))];
        if (mine.Length == 0)
        {
            return $"the policy has no grant for uid {uid.ToString(CultureInfo.InvariantCulture)} running VM '{vm}'";
        }
        if (!mine.Any(g => Grants_(g, device.Address, device.Group)))
        {
            return $"the policy grants uid {uid.ToString(CultureInfo.InvariantCulture)} (VM '{vm}') neither {device.Address} nor its IOMMU group {device.Group.ToString(CultureInfo.InvariantCulture)}";
        }
        foreach (string member in device.Members)
        {
            if (!mine.Any(g => Grants_(g, member, device.Group)))
            {
                return $"{device.Address} shares IOMMU group {device.Group.ToString(CultureInfo.InvariantCulture)} with {member}, which the policy does not grant to uid {uid.ToString(CultureInfo.InvariantCulture)} (VM '{vm}'): a group is assigned as a whole, so grant the group or every device in it";
            }
        }
        return null;
    }

    private static bool Grants_(AgentPolicyGrant grant, string address, int group)
        => grant.Groups.Contains(group) || grant.Devices.Contains(address, StringComparer.Ordinal);

    private static AgentPolicyGrant ParseGrant(JsonElement grant, string where)
    {
        if (grant.ValueKind != JsonValueKind.Object)
        {
            throw Bad(where, "must be an object with \"uid\" and \"devices\" or \"groups\"");
        }
        uint? uid = null;
        string? vm = null;
        var devices = new List<string>();
        var groups = new List<int>();
        foreach (JsonProperty property in grant.EnumerateObject())
        {
            JsonElement value = property.Value;
            switch (property.Name)
            {
                case "uid":
                    uid = value.ValueKind == JsonValueKind.Number && value.TryGetUInt32(out uint u)
                        ? u
                        : throw Bad(where, "\"uid\" must be a user id (a number from 0 to 4294967295)");
                    break;
                case "vm":
                    vm = value.ValueKind == JsonValueKind.String && AgentRequest.IsValidVmName(value.GetString()!)
                        ? value.GetString()
                        : throw Bad(where, $"\"vm\" must be a VM name of 1-{AgentRequest.MaxVmNameLength} letters, digits, '.', '_' or '-'");
                    break;
                case "devices":
                    devices.AddRange(Strings(value, where, "devices").Select(d => PciAddressText.Normalize(d)
                        ?? throw Bad(where, $"\"{d}\" in \"devices\" is not a PCI address such as 0000:00:03.0")));
                    break;
                case "groups":
                    if (value.ValueKind != JsonValueKind.Array)
                    {
                        throw Bad(where, "\"groups\" must be an array of IOMMU group numbers");
                    }
                    foreach (JsonElement g in value.EnumerateArray())
                    {
                        groups.Add(g.ValueKind == JsonValueKind.Number && g.TryGetInt32(out int n) && n >= 0
                            ? n
                            : throw Bad(where, "\"groups\" must hold IOMMU group numbers (0 or more)"));
                    }
                    break;
                default:
                    throw Bad(where, $"has an unknown field \"{property.Name}\" (uid, vm, devices, groups)");
            }
        }
        if (uid is null)
        {
            throw Bad(where, "has no \"uid\": a grant is for the user the VMM runs as");
        }
        if (devices.Count == 0 && groups.Count == 0)
        {
            throw Bad(where, "grants nothing: give \"devices\" or \"groups\"");
        }
        return new AgentPolicyGrant(uid.Value, vm, devices, groups);
    }

    private static IEnumerable<string> Strings(JsonElement value, string where, string name)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Bad(where, $"\"{name}\" must be an array of strings");
        }
        return [.. value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw Bad(where, $"\"{name}\" must be an array of strings"))];
    }

    private static AgentPolicyException Bad(string where, string what) => new($"{where} {what}");
}
