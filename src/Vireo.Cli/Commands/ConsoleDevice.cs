namespace Vireo.Cli;

/// <summary>The guest device the console is (`vireo run --console`).</summary>
internal enum ConsoleDevice
{
    /// <summary>COM1's 8250 UART (Linux's ttyS0).</summary>
    Serial,
    /// <summary>A virtio console over PCI (Linux's hvc0).</summary>
    Virtio,
}
