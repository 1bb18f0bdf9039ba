namespace Vireo.Devices;

/// <summary>
/// Everything an <see cref="I8042"/> needs to resume: the command byte and output port, a command
/// waiting for its data byte, the output buffer, and the keyboard's unsent replies.
/// </summary>
public sealed record I8042State
{
    public byte CommandByte { get; init; }

    public byte OutputPort { get; init; }

    /// <summary>A controller command (0x60, 0xD1-0xD4) whose data byte has not arrived; 0 when none.</summary>
    public byte PendingCommand { get; init; }

    /// <summary>A keyboard command (0xED, 0xF0, 0xF3) whose argument has not arrived; 0 when none.</summary>
    public byte KeyboardPendingCommand { get; init; }

    public byte OutputBuffer { get; init; }

    public bool OutputFull { get; init; }

    public bool OutputFromAux { get; init; }

    public bool SystemFlag { get; init; }

    public bool LastWriteWasCommand { get; init; }

    public byte ScancodeSet { get; init; }

    public byte[] KeyboardOutput { get; init; } = [];

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

    public override int GetHashCode()
        => HashCode.Combine(
            HashCode.Combine(CommandByte, OutputPort, PendingCommand, KeyboardPendingCommand, OutputBuffer),
            HashCode.Combine(OutputFull, OutputFromAux, SystemFlag, LastWriteWasCommand, ScancodeSet, KeyboardOutput.Length));
}
