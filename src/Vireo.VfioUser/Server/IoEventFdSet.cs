using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>The eventfds behind the device's declared ioeventfds: one per declaration, made for
/// the connection that first asks for them, so a client that never does costs nothing and a new
/// client never inherits a previous one's fds.</summary>
internal sealed class IoEventFdSet
{
    private readonly IReadOnlyList<IoEventFdDeclaration> _declarations;
    private List<(IoEventFdDeclaration Declaration, EventFd Fd)>? _fds;

    public IoEventFdSet(IReadOnlyList<IoEventFdDeclaration> declarations)
    {
        _declarations = declarations;
    }

    /// <summary>The eventfds made so far (none before a client asked).</summary>
    public IReadOnlyList<(IoEventFdDeclaration Declaration, EventFd Fd)> Active => _fds ?? [];

    /// <summary>The region's declarations with their eventfds, making them all on first use.</summary>
    public List<(IoEventFdDeclaration Declaration, EventFd Fd)> Of(uint region)
    {
        if (_fds is null)
        {
            _fds = [];
            foreach (IoEventFdDeclaration declaration in _declarations)
            {
                _fds.Add((declaration, EventFd.Create()));
            }
        }
        return _fds.Where(e => (uint)e.Declaration.Bar == region).ToList();
    }

    /// <summary>Drops one that misbehaves (it would make every poll return at once).</summary>
    public void Forget(EventFd fd)
    {
        int index = _fds?.FindIndex(e => ReferenceEquals(e.Fd, fd)) ?? -1;
        if (index >= 0)
        {
            _fds![index].Fd.Dispose();
            _fds.RemoveAt(index);
        }
    }

    public void Clear()
    {
        foreach ((_, EventFd fd) in _fds ?? [])
        {
            fd.Dispose();
        }
        _fds = null;
    }
}
