namespace Vireo.Api;

/// <summary>The body of <c>GET /api/v1/vmm.ping</c>.</summary>
/// <param name="Version">Vireo's version.</param>
/// <param name="Pid">The VMM's process id.</param>
public sealed record ApiPing(string Version, int Pid);
