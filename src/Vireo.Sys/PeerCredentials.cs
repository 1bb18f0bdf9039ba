namespace Vireo.Sys;

/// <summary>Who connected to a UNIX socket, as the kernel recorded it at connect (SO_PEERCRED):
/// unlike anything the peer says about itself, it cannot be forged.</summary>
/// <param name="Pid">The peer's process id at connect.</param>
/// <param name="Uid">The peer's effective user id at connect.</param>
/// <param name="Gid">The peer's effective group id at connect.</param>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid);
