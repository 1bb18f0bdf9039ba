namespace Vireo.Vmm;

/// <summary>A snapshot that cannot be taken or restored: the message says what is wrong with it
/// (a missing or damaged file, another machine's shape, a value out of range).</summary>
public sealed class SnapshotException : Vireo.Sys.VireoException
{
    /// <summary>A snapshot failure with <paramref name="message"/>.</summary>
    public SnapshotException(string message)
        : base(message)
    {
    }

    /// <summary>A snapshot failure caused by <paramref name="inner"/>.</summary>
    public SnapshotException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
