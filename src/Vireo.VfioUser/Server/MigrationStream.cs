using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// The device's migration state (DEVICE_FEATURE MIG_DEVICE_STATE) walked one arc at a time
/// through libvfio-user's next_state table (lib/migration.c), and the data streams the states
/// carry: the saved state read out in STOP_COPY (MIG_DATA_READ), the incoming state gathered in
/// RESUMING (MIG_DATA_WRITE) and loaded on leaving it.
/// </summary>
internal sealed class MigrationStream
{
    private readonly IVfioUserBackend _device;
    private byte[]? _out;
    private int _outPosition;
    private MemoryStream? _in;

    public MigrationStream(IVfioUserBackend device)
    {
        _device = device;
    }

    public MigrationState State { get; private set; } = MigrationState.Running;

    public bool CanRead => State is MigrationState.PreCopy or MigrationState.StopCopy;

    public bool CanWrite => State == MigrationState.Resuming && _in is not null;

    public void MoveTo(MigrationState target)
    {
        if (target is MigrationState.Error or MigrationState.RunningP2p or MigrationState.PreCopyP2p or > MigrationState.PreCopyP2p)
        {
            throw new VfioUserException(Errno.EINVAL, $"migration state {(uint)target}");
        }
        while (State != target)
        {
            MigrationState next = Next(State, target);
            if (next == MigrationState.Error)
            {
                throw new VfioUserException(Errno.EINVAL, $"no migration path from {State} to {target}");
            }
            MigrationState from = State;
            if (from == MigrationState.Resuming)
            {
                _device.LoadState(_in?.ToArray() ?? []);
                _in = null;
            }
            switch (next)
            {
                case MigrationState.StopCopy:
                    _out = _device.SaveState();
                    _outPosition = 0;
                    break;
                case MigrationState.PreCopy:
                    // Everything is sent in STOP_COPY; pre-copy has no data of its own.
                    _out = [];
                    _outPosition = 0;
                    break;
                case MigrationState.Resuming:
                    _in = new MemoryStream();
                    break;
                default:
                    _out = null;
                    break;
            }
            State = next;
            _device.MigrationStateChanged(from, next);
        }
    }

    /// <summary>libvfio-user's next_state: the next arc on the way from one state to another.</summary>
    public static MigrationState Next(MigrationState from, MigrationState to) => (from, to) switch
    {
        _ when from == to => to,
        (MigrationState.Stop, MigrationState.PreCopy) => MigrationState.Running,
        (MigrationState.Stop, _) => to,
        (MigrationState.Running, MigrationState.PreCopy) => MigrationState.PreCopy,
        (MigrationState.Running, _) => MigrationState.Stop,
        (MigrationState.StopCopy, MigrationState.PreCopy) => MigrationState.Error,
        (MigrationState.StopCopy, _) => MigrationState.Stop,
        (MigrationState.Resuming, _) => MigrationState.Stop,
        (MigrationState.PreCopy, MigrationState.StopCopy) => MigrationState.StopCopy,
        (MigrationState.PreCopy, _) => MigrationState.Running,
        _ => MigrationState.Error,
    };

    /// <summary>Copies the next saved bytes into <paramref name="destination"/> (the caller has
    /// capped its size); returns how many there were.</summary>
    public int Read(Span<byte> destination)
    {
        byte[] source = _out ?? [];
        int n = Math.Min(destination.Length, source.Length - _outPosition);
        source.AsSpan(_outPosition, n).CopyTo(destination);
        _outPosition += n;
        return n;
    }

    public void Write(ReadOnlySpan<byte> data) => _in!.Write(data);

    /// <summary>A new client reads the saved state from its start.</summary>
    public void Rewind() => _outPosition = 0;
}
