using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// Claims ports that guests touch but no device model needs, so they stay out of the bus's
/// unhandled-access log and that log keeps meaning "something is missing". Reads return a
/// fixed byte, writes are dropped, and nothing is logged. <see cref="LinuxProbedPorts"/> lists
/// the ports it is meant for.
/// </summary>
/// <param name="readValue">0xFF for an empty ISA decode (the bus floats high); 0x00 where zero is the safe answer.</param>
public sealed class QuietPortDevice(byte readValue = 0xff) : IBusDevice
{
    /// <summary>
    /// Ports an x86 Linux guest touches that nothing else owns, with the byte each should read.
    /// Insert one device per entry (or one per read value over several ranges).
    /// </summary>
    public static IReadOnlyList<(PioAddress Start, ushort Length, byte ReadValue, string Purpose)> LinuxProbedPorts { get; } =
    [
        // arch/x86/kernel/io_delay.c: the default io_delay writes port 0x80 (the POST code port).
        (new PioAddress(0x80), 1, 0xff, "POST code port, Linux's default I/O delay"),
        // io_delay=0xed selects this alternative delay port.
        (new PioAddress(0xed), 1, 0xff, "alternative I/O delay port"),
        // The 8259 edge/level control registers. KVM's in-kernel PIC owns them when it exists;
        // otherwise Linux's ACPI SCI setup reads them, and zero means "every IRQ edge-triggered".
        (new PioAddress(0x4d0), 2, 0x00, "PIC ELCR, only without KVM's in-kernel irqchip"),
        // The 8250 driver probes COM2-COM4; all-ones fails its IER test, so it finds no UART.
        (new PioAddress(0x2f8), 8, 0xff, "COM2, probed by the 8250 driver"),
        (new PioAddress(0x3e8), 8, 0xff, "COM3, probed by the 8250 driver"),
        (new PioAddress(0x2e8), 8, 0xff, "COM4, probed by the 8250 driver"),
        // Not 0xcf8-0xcff: the PCI root bus owns them (PciRootBus).
    ];

    /// <summary>The byte every read returns.</summary>
    public byte ReadValue => readValue;

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data) => data.Fill(readValue);

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
    }
}
