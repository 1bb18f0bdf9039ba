using System.Text.Json;
using System.Text.Unicode;
using System.Text.Json.Serialization.Metadata;

namespace Vireo.Api.Http;

/// <summary>
/// Checks a request body against the shape of its request type before the serializer sees it, so
/// a wrong body is explained in the API's terms (field names, JSON kinds, ranges) rather than in
/// the serializer's (.NET type names, <c>$.path</c>, byte positions).
/// </summary>
internal static class JsonBodyCheck
{
    /// <summary>Throws <see cref="ApiRequestException"/> (400) naming what is wrong with
    /// <paramref name="body"/>; returns when it has the shape of <paramref name="type"/>.</summary>
    public static void Validate(ReadOnlySpan<byte> body, JsonTypeInfo type, string path, string example)
    {
        // The reader checks the JSON grammar but not the UTF-8 inside strings; the serializer
        // would then fail on them with an InvalidOperationException, a 500.
        if (!Utf8.IsValid(body))
        {
            throw Bad($"the body of {path} is not UTF-8 text; send a JSON object like {example}");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line && e.BytePositionInLine is long column
                ? $" (line {line + 1}, column {column + 1})"
                : "";
            throw Bad($"the body of {path} is not valid JSON{where}; send a JSON object like {example}");
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad($"{path} takes a JSON object like {example}, not {Describe(root)}");
            }
            var fields = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = Name(property);
                if (!fields.TryGetValue(name, out JsonPropertyInfo? field))
                {
                    throw Bad($"unknown field {name}; the fields are {string.Join(", ", fields.Keys)} (e.g. {example})");
                }
                if (!seen.Add(name))
                {
                    throw Bad($"{name} is given twice");
                }
                CheckValue(field, property.Value);
            }
            foreach (JsonPropertyInfo field in type.Properties.Where(p => p.IsRequired && !seen.Contains(p.Name)))
            {
                throw Bad($"{field.Name} is required; {path} takes a JSON object like {example}");
            }
        }
    }

    private static void CheckValue(JsonPropertyInfo field, JsonElement value)
    {
        Type? nullable = Nullable.GetUnderlyingType(field.PropertyType);
        Type kind = nullable ?? field.PropertyType;
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (nullable is null && kind.IsValueType)
            {
                throw Bad($"{field.Name} must be {Expected(kind)}, not null");
            }
            return;
        }
        if (kind == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw Bad($"{field.Name} must be true or false, not {Describe(value)}");
            }
        }
        else if (kind == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                throw Bad($"{field.Name} must be a string, not {Describe(value)}");
            }
            _ = Text(value, field.Name);
        }
        else if (kind == typeof(int))
        {
            CheckInteger(field.Name, value, int.MinValue, int.MaxValue, v => v.TryGetInt32(out _));
        }
        else if (kind == typeof(long))
        {
            CheckInteger(field.Name, value, long.MinValue, long.MaxValue, v => v.TryGetInt64(out _));
        }
    }

    // An escaped lone surrogate ("\ud800") is valid JSON but no string: GetString throws.
    private static string Text(JsonElement value, string what)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Bad($"{what} is not valid Unicode text (a lone surrogate escape)");
        }
    }

    private static string Name(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw Bad("a field name is not valid Unicode text (a lone surrogate escape)");
        }
    }

    private static void CheckInteger(string name, JsonElement value, long min, long max, Func<JsonElement, bool> fits)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Bad($"{name} must be an integer, not {Describe(value)}");
        }
        if (fits(value))
        {
            return;
        }
        string text = value.GetRawText();
        throw text.AsSpan().IndexOfAny(".eE") >= 0
            ? Bad($"{name} must be an integer, not {text}")
            : Bad($"{name} must be an integer from {min} to {max}, not {text}");
    }

    private static string Expected(Type kind) =>
        kind == typeof(bool) ? "true or false" : kind == typeof(int) || kind == typeof(long) ? "an integer" : "a value";

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static ApiRequestException Bad(string message) => new(HttpStatus.BadRequest, message);
}
