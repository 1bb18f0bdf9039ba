using System.Text;
using System.Text.Json;

namespace Vireo.VfioUser;

/// <summary>The VERSION capabilities object (vfio-user.rst "Version"). Null means "not sent";
/// the Effective* properties apply the spec's defaults. Unknown keys are ignored, which is what
/// lets the vireo_* extensions pass through peers that do not know them.</summary>
public sealed record VfioUserCapabilities
{
    /// <summary>max_msg_fds when the peer does not send it (vfio-user.rst "Version").</summary>
    public const int DefaultMaxMessageFds = 1;
    /// <summary>max_data_xfer_size when the peer does not send it (vfio-user.rst "Version").</summary>
    public const uint DefaultMaxDataTransferSize = 1024 * 1024;
    /// <summary>max_dma_maps when the peer does not send it (vfio-user.rst "Version").</summary>
    public const uint DefaultMaxDmaMaps = 65535;
    /// <summary>pgsizes when the peer does not send it: 4 KiB pages only (vfio-user.rst "Version").</summary>
    public const ulong DefaultPageSizes = 4096;

    // libvfio-user refuses max_msg_fds above this (tran.c, MAX_FDS... 1024).
    /// <summary>The largest max_msg_fds accepted, the same bound libvfio-user applies.</summary>
    public const int MaxMessageFdsLimit = 1024;

    /// <summary>max_msg_fds: the most file descriptors the sender accepts in one message.</summary>
    public int? MaxMessageFds { get; init; }

    /// <summary>max_data_xfer_size: the most data bytes the sender accepts in one region or DMA access.</summary>
    public uint? MaxDataTransferSize { get; init; }

    /// <summary>max_dma_maps: the most DMA regions the server accepts at once.</summary>
    public uint? MaxDmaMaps { get; init; }

    /// <summary>pgsizes: a bitmap of the page sizes the server supports for DMA.</summary>
    public ulong? PageSizes { get; init; }

    /// <summary>migration.pgsize; non-null means the peer does migration.</summary>
    public ulong? MigrationPageSize { get; init; }

    /// <summary>migration.max_bitmap_size: the largest dirty bitmap the server returns in one reply.</summary>
    public ulong? MigrationMaxBitmapSize { get; init; }

    /// <summary>twin_socket.supported: the peer can use a second socket for server-to-client messages.</summary>
    public bool? TwinSocket { get; init; }

    /// <summary>twin_socket.fd_index: which of the message's fds is the twin socket.</summary>
    public int? TwinSocketFdIndex { get; init; }

    /// <summary>write_multiple: the server accepts REGION_WRITE_MULTI.</summary>
    public bool? WriteMultiple { get; init; }

    /// <summary>Vireo extension: device features LOW_POWER_ENTRY/_WITH_WAKEUP/EXIT.</summary>
    public bool? VireoLowPower { get; init; }

    /// <summary>Vireo extension: IRQ index 5 delivers ACPI notify codes.</summary>
    public bool? VireoAcpiNotify { get; init; }

    /// <summary><see cref="MaxMessageFds"/>, or its default when not sent.</summary>
    public int EffectiveMaxMessageFds => MaxMessageFds ?? DefaultMaxMessageFds;

    /// <summary><see cref="MaxDataTransferSize"/>, or its default when not sent.</summary>
    public uint EffectiveMaxDataTransferSize => MaxDataTransferSize ?? DefaultMaxDataTransferSize;

    /// <summary><see cref="MaxDmaMaps"/>, or its default when not sent.</summary>
    public uint EffectiveMaxDmaMaps => MaxDmaMaps ?? DefaultMaxDmaMaps;

    /// <summary><see cref="PageSizes"/>, or its default when not sent.</summary>
    public ulong EffectivePageSizes => PageSizes ?? DefaultPageSizes;

    /// <summary>The VERSION message's JSON string: <c>{"capabilities": {...}}</c> with only the properties that are set.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("capabilities");
            WriteIf(writer, "max_msg_fds", MaxMessageFds);
            WriteIf(writer, "max_data_xfer_size", MaxDataTransferSize);
            WriteIf(writer, "max_dma_maps", MaxDmaMaps);
            WriteIf(writer, "pgsizes", PageSizes);
            if (MigrationPageSize is not null)
            {
                writer.WriteStartObject("migration");
                writer.WriteNumber("pgsize", MigrationPageSize.Value);
                WriteIf(writer, "max_bitmap_size", MigrationMaxBitmapSize);
                writer.WriteEndObject();
            }
            if (TwinSocket is not null)
            {
                writer.WriteStartObject("twin_socket");
                writer.WriteBoolean("supported", TwinSocket.Value);
                WriteIf(writer, "fd_index", TwinSocketFdIndex);
                writer.WriteEndObject();
            }
            if (WriteMultiple is not null)
            {
                writer.WriteBoolean("write_multiple", WriteMultiple.Value);
            }
            if (VireoLowPower is not null)
            {
                writer.WriteBoolean("vireo_low_power", VireoLowPower.Value);
            }
            if (VireoAcpiNotify is not null)
            {
                writer.WriteBoolean("vireo_acpi_notify", VireoAcpiNotify.Value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses the JSON of a VERSION message; wrong types or ranges are EINVAL, as in
    /// libvfio-user's tran.c.</summary>
    public static VfioUserCapabilities Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("capabilities JSON is not an object");
            }
            if (!document.RootElement.TryGetProperty("capabilities", out JsonElement caps))
            {
                return new VfioUserCapabilities();
            }
            if (caps.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("\"capabilities\" is not an object");
            }
            var result = new VfioUserCapabilities
            {
                MaxMessageFds = Int(caps, "max_msg_fds", 0, MaxMessageFdsLimit),
                MaxDataTransferSize = (uint?)Long(caps, "max_data_xfer_size", 1, uint.MaxValue),
                MaxDmaMaps = (uint?)Long(caps, "max_dma_maps", 0, uint.MaxValue),
                PageSizes = ULong(caps, "pgsizes"),
                WriteMultiple = Bool(caps, "write_multiple"),
                VireoLowPower = Bool(caps, "vireo_low_power"),
                VireoAcpiNotify = Bool(caps, "vireo_acpi_notify"),
            };
            if (caps.TryGetProperty("migration", out JsonElement migration))
            {
                if (migration.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid("\"migration\" is not an object");
                }
                result = result with
                {
                    MigrationPageSize = ULong(migration, "pgsize") ?? DefaultPageSizes,
                    MigrationMaxBitmapSize = ULong(migration, "max_bitmap_size"),
                };
            }
            if (caps.TryGetProperty("twin_socket", out JsonElement twin))
            {
                if (twin.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid("\"twin_socket\" is not an object");
                }
                result = result with
                {
                    TwinSocket = Bool(twin, "supported") ?? false,
                    TwinSocketFdIndex = Int(twin, "fd_index", 0, MaxMessageFdsLimit),
                };
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"capabilities are not valid JSON: {e.Message}");
        }
    }

    private static VfioUserException Invalid(string what) => new(Sys.Errno.EINVAL, what);

    private static int? Int(JsonElement obj, string name, int min, int max)
    {
        long? value = Long(obj, name, min, max);
        return value is null ? null : (int)value.Value;
    }

    private static long? Long(JsonElement obj, string name, long min, long max)
    {
        if (!obj.TryGetProperty(name, out JsonElement element))
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long value) || value < min || value > max)
        {
            throw Invalid($"\"{name}\" must be an integer in [{min}, {max}]");
        }
        return value;
    }

    private static ulong? ULong(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out JsonElement element))
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetUInt64(out ulong value))
        {
            throw Invalid($"\"{name}\" must be an unsigned integer");
        }
        return value;
    }

    private static bool? Bool(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out JsonElement element))
        {
            return null;
        }
        return element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"\"{name}\" must be a boolean"),
        };
    }

    private static void WriteIf(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is not null)
        {
            writer.WriteNumber(name, value.Value);
        }
    }

    private static void WriteIf(Utf8JsonWriter writer, string name, ulong? value)
    {
        if (value is not null)
        {
            writer.WriteNumber(name, value.Value);
        }
    }
}
