namespace Vireo.Vmm;

/// <summary>Where host keystrokes for the guest console go: the 8250's pump
/// (<see cref="ConsoleInputPump"/>) or the virtio console's (<see cref="VirtioConsoleInput"/>).
/// The machine has one, the device its console is.</summary>
public interface IConsoleInput
{
    /// <summary>Queues host keystrokes for the guest; never blocks (past the queue's bound, bytes
    /// are dropped and counted in <see cref="Dropped"/>).</summary>
    /// <param name="bytes">The bytes, in order.</param>
    void Send(ReadOnlySpan<byte> bytes);

    /// <summary>Bytes dropped because the host queue was full (the guest is not reading).</summary>
    long Dropped { get; }
}
