using System.Text.Json;

namespace Vireo.Agent;

/// <summary>The agent's answer, one JSON line; a grant carries the descriptors (SCM_RIGHTS, in
/// the order of <see cref="Roles"/>) on the same message:
/// <c>{"granted":true,"device":"0000:00:03.0","group":3,"backend":"group","fds":["container","device"],"ioas":null}</c>
/// or <c>{"granted":false,"error":"..."}</c>.</summary>
public sealed record AgentReply(bool Granted, string? Error, string? Device, int Group, string? Backend, IReadOnlyList<string> Roles, uint? Ioas)
{
    /// <summary>The longest reply line.</summary>
    public const int MaxBytes = 8192;

    /// <summary>The most descriptors a grant carries.</summary>
    public const int MaxFds = 4;

    /// <summary>A refusal with <paramref name="error"/>.</summary>
    public static AgentReply Refused(string error) => new(false, error, null, 0, null, [], null);

    /// <summary>The reply line, newline-terminated.</summary>
    public byte[] Encode() => AgentLine.Write(json =>
    {
        json.WriteBoolean("granted", Granted);
        if (!Granted)
        {
            json.WriteString("error", Error);
            return;
        }
        json.WriteString("device", Device);
        json.WriteNumber("group", Group);
        json.WriteString("backend", Backend);
        json.WriteStartArray("fds");
        foreach (string role in Roles)
        {
            json.WriteStringValue(role);
        }
        json.WriteEndArray();
        if (Ioas is uint ioas)
        {
            json.WriteNumber("ioas", ioas);
        }
        else
        {
            json.WriteNull("ioas");
        }
    });

    /// <summary>Parses a reply line (without its newline).</summary>
    /// <exception cref="FormatException">Not a reply.</exception>
    public static AgentReply Decode(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 3 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("granted", out JsonElement granted)
                || granted.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new FormatException("the reply has no \"granted\" true or false");
            }
            if (!granted.GetBoolean())
            {
                return Refused(root.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.String
                    ? e.GetString()!
                    : "the agent refused without a reason");
            }
            string device = root.GetProperty("device").GetString() ?? throw new FormatException("\"device\" is null");
            int group = root.GetProperty("group").GetInt32();
            string backend = root.GetProperty("backend").GetString() ?? throw new FormatException("\"backend\" is null");
            string[] roles = [.. root.GetProperty("fds").EnumerateArray().Select(r => r.GetString() ?? throw new FormatException("a role in \"fds\" is null"))];
            if (roles.Length is 0 or > MaxFds)
            {
                throw new FormatException($"a grant names {roles.Length} descriptors, not 1-{MaxFds}");
            }
            uint? ioas = root.TryGetProperty("ioas", out JsonElement i) && i.ValueKind == JsonValueKind.Number ? i.GetUInt32() : null;
            return new AgentReply(true, null, device, group, backend, roles, ioas);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"the agent's reply is not one: {e.Message}", e);
        }
    }
}
