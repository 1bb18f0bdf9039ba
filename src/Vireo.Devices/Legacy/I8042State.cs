namespace Vireo.Devices;

/// <summary>
/// Everything an <see cref="I8042"/> needs to resume: the command byte and output port, a command
/// waiting for its data byte, the output buffer, and the keyboard's unsent replies.
/// </summary>
public sealed record I8042State
{
    /// <summary>The controller command byte (read with 0x20, written with 0x60).</summary>
    public byte CommandByte { get; init; }

    /// <summary>The controller output port (written with 0xD1): A20 gate and reset line.</summary>
    public byte OutputPort { get; init; }

    /// <summary>A controller command (0x60, 0xD1-0xD4) whose data byte has not arrived; 0 when none.</summary>
    public byte PendingCommand { get; init; }

    /// <summary>A keyboard command (0xED, 0xF0, 0xF3) whose argument has not arrived; 0 when none.</summary>
    public byte KeyboardPendingCommand { get; init; }

    /// <summary>The byte port 0x60 returns next.</summary>
    public byte OutputBuffer { get; init; }

    /// <summary>Status bit 0 (OBF): <see cref="OutputBuffer"/> holds a byte not yet read.</summary>
    public bool OutputFull { get; init; }

    /// <summary>Status bit 5: the byte in <see cref="OutputBuffer"/> came from the aux (mouse) port.</summary>
    public bool OutputFromAux { get; init; }

    /// <summary>Status bit 2, the system flag the command byte sets.</summary>
    public bool SystemFlag { get; init; }

    /// <summary>Status bit 3: the last write went to port 0x64 rather than 0x60.</summary>
    public bool LastWriteWasCommand { get; init; }

    /// <summary>The keyboard's scancode set, as selected with 0xF0.</summary>
    public byte ScancodeSet { get; init; }

    /// <summary>Keyboard replies queued behind <see cref="OutputBuffer"/>, oldest first.</summary>
    public byte[] KeyboardOutput { get; init; } = [];

    /// <summary>Compares every field, and the keyboard bytes by content rather than by reference.</summary>
    public bool Equals(I8042State? other)
        => other is not null
            && CommandByte == other.CommandByte
            && OutputPort == other.OutputPort
            && PendingCommand == other.PendingCommand
            && KeyboardPendingCommand == other.KeyboardPendingCommand
            && OutputBuffer == other.OutputBuffer
            && OutputFull == other.OutputFull
            && OutputFromAux == other.OutputFromAux
            && SystemFlag == other.SystemFlag
            && LastWriteWasCommand == other.LastWriteWasCommand
            && ScancodeSet == other.ScancodeSet
            && KeyboardOutput.AsSpan().SequenceEqual(other.KeyboardOutput);

    /// <inheritdoc/>
    public override int GetHashCode()
        => HashCode.Combine(
            HashCode.Combine(CommandByte, OutputPort, PendingCommand, KeyboardPendingCommand, OutputBuffer),
            HashCode.Combine(OutputFull, OutputFromAux, SystemFlag, LastWriteWasCommand, ScancodeSet, KeyboardOutput.Length));
}
