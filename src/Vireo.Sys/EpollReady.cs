namespace Vireo.Sys;

/// <summary>One descriptor <see cref="Epoll.Wait(Span{EpollReady}, TimeSpan)"/> found ready.</summary>
/// <param name="Token">The token it was registered with.</param>
/// <param name="Events">What it is ready for (errors and hang-ups included).</param>
public readonly record struct EpollReady(ulong Token, EpollEvents Events);
