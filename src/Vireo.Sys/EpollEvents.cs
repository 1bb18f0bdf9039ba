namespace Vireo.Sys;

/// <summary>The readiness bits of an epoll registration and of a reported event
/// (<c>EPOLLIN</c>, ... from &lt;sys/epoll.h&gt;). <see cref="Error"/> and <see cref="HangUp"/>
/// are always reported, asked for or not.</summary>
[Flags]
public enum EpollEvents : uint
{
    /// <summary>No readiness asked for (a registration that reports only errors and hang-ups).</summary>
    None = 0,
    /// <summary>EPOLLIN: readable, or end of stream.</summary>
    In = 0x001,
    /// <summary>EPOLLOUT: writable.</summary>
    Out = 0x004,
    /// <summary>EPOLLERR: an error is pending.</summary>
    Error = 0x008,
    /// <summary>EPOLLHUP: hung up (for a stream socket: both directions are shut).</summary>
    HangUp = 0x010,
    /// <summary>EPOLLRDHUP: the peer shut its writing side.</summary>
    ReadHangUp = 0x2000,
    /// <summary>EPOLLET: reported once each time the state changes (input arrives), not for as
    /// long as it holds; a reader that stops before it drained the descriptor (a device with no
    /// guest buffer for the next frame) is not woken again for what is already there.</summary>
    EdgeTriggered = 0x80000000,
}
