using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>The client's eventfds (trigger, and unmask where the index has them), masks and
/// pending bits for one IRQ index.</summary>
internal sealed class IrqVectors
{
    private readonly EventFd?[] _fds;
    private readonly EventFd?[] _unmaskFds;
    private readonly bool[] _masked;
    private readonly bool[] _pending;

    public IrqVectors(int count)
    {
        _fds = new EventFd?[count];
        _unmaskFds = new EventFd?[count];
        _masked = new bool[count];
        _pending = new bool[count];
    }

    public int Length => _fds.Length;

    public EventFd? Fd(int vector) => _fds[vector];

    public void Assign(int vector, EventFd? fd)
    {
        _fds[vector]?.Dispose();
        _fds[vector] = fd;
    }

    public EventFd? UnmaskFd(int vector) => _unmaskFds[vector];

    /// <summary>The eventfd whose signal unmasks the vector (KVM's resample irqfd writes it at
    /// the guest's EOI); null de-assigns.</summary>
    public void AssignUnmask(int vector, EventFd? fd)
    {
        _unmaskFds[vector]?.Dispose();
        _unmaskFds[vector] = fd;
    }

    public bool IsMasked(int vector) => _masked[vector];

    public void SetMasked(int vector, bool masked) => _masked[vector] = masked;

    public bool IsPending(int vector) => vector < _pending.Length && _pending[vector];

    public void SetPending(int vector, bool pending) => _pending[vector] = pending;

    /// <summary>Writes 1 to the vector's eventfd; false when the client gave none (libvfio-user's
    /// vfu_irq_trigger answers ENOENT then).</summary>
    public bool Signal(int vector)
    {
        EventFd? fd = _fds[vector];
        if (fd is null)
        {
            _pending[vector] = true;
            return false;
        }
        try
        {
            fd.Signal();
            return true;
        }
        catch (ErrnoException)
        {
            return false;
        }
    }

    public void ResetMasks()
    {
        Array.Clear(_masked);
        Array.Clear(_pending);
    }

    public void Clear()
    {
        for (int i = 0; i < _fds.Length; i++)
        {
            Assign(i, null);
            AssignUnmask(i, null);
        }
        ResetMasks();
    }
}
