using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The console device's configuration space, <c>struct virtio_console_config</c>
/// (virtio 1.2 §5.3.4), little-endian and packed; the layout tests pin it to
/// linux/virtio_console.h. A field is meaningful to the driver only when the feature guarding it
/// was offered.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioConsoleConfig
{
    /// <summary>The structure's size.</summary>
    public const int Size = 12;

    /// <summary>Offset of <see cref="EmergencyWrite"/>.</summary>
    public const int EmergencyWriteOffset = 8;

    /// <summary>cols: the console's width in characters (VIRTIO_CONSOLE_F_SIZE).</summary>
    [FieldOffset(0)] public ushort Columns;
    /// <summary>rows: the console's height in characters (VIRTIO_CONSOLE_F_SIZE).</summary>
    [FieldOffset(2)] public ushort Rows;
    /// <summary>max_nr_ports: the most ports the device can hold (VIRTIO_CONSOLE_F_MULTIPORT).</summary>
    [FieldOffset(4)] public uint MaxPorts;
    /// <summary>emerg_wr: write-only; the driver writes a character to output it without queues
    /// (VIRTIO_CONSOLE_F_EMERG_WRITE).</summary>
    [FieldOffset(EmergencyWriteOffset)] public uint EmergencyWrite;
}
