using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>The descriptors that give a VMM one device: for the group backend the container
/// (its IOMMU set) and the device; for iommufd the iommufd and the device cdev bound to it, with
/// the IOAS the device is attached to. Disposing closes them all.</summary>
/// <param name="Backend">"group" or "iommufd".</param>
/// <param name="Fds">The descriptors with their roles ("container", "group", "iommufd", "device"), in order.</param>
/// <param name="Ioas">The iommufd IOAS the device is attached to; null for the group backend.</param>
public sealed record AgentOpenedDevice(string Backend, IReadOnlyList<(string Role, SafeFd Fd)> Fds, uint? Ioas) : IDisposable
{
    /// <summary>The descriptor with <paramref name="role"/>.</summary>
    /// <exception cref="AgentDeviceException">There is none.</exception>
    public SafeFd Fd(string role) => Fds.FirstOrDefault(f => f.Role == role).Fd
        ?? throw new AgentDeviceException($"the {Backend} backend's descriptors include no '{role}'");

    /// <summary>Closes every descriptor.</summary>
    public void Dispose()
    {
        foreach ((_, SafeFd fd) in Fds)
        {
            fd.Dispose();
        }
    }
}
