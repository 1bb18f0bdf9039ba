namespace Vireo.Sys;

/// <summary>The process could not be confined as asked (a seccomp filter or a privilege drop
/// the kernel refused in a way errno does not say).</summary>
public sealed class ConfinementException : VireoException
{
    /// <summary>A confinement failure described by <paramref name="message"/>.</summary>
    public ConfinementException(string message)
        : base(message)
    {
    }
}
