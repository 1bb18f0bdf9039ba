namespace Vireo.Vmm;

/// <summary>A resource asked for is taken, outside its pool, or the pool has no room left: a
/// machine configuration error (too many devices, two devices at one fixed address), reported
/// with both owners.</summary>
public sealed class ResourceConflictException : MachineBuildException
{
    /// <summary>The conflict, naming both owners, in <paramref name="message"/>.</summary>
    public ResourceConflictException(string message)
        : base(message)
    {
    }
}
