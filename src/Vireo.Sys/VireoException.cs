namespace Vireo.Sys;

/// <summary>An error the person running Vireo can act on: a bad file, a missing device, a
/// refused request, a failed system call. Its message is one line that says what is wrong and,
/// where there is one, the fix. The command line prints that line alone (exit 1, or 2 for a
/// usage error); any other exception that reaches it is a bug and is printed with its stack.</summary>
public abstract class VireoException : Exception
{
    /// <summary>An error with a generic message.</summary>
    protected VireoException()
        : base("Vireo failed")
    {
    }

    /// <summary>An error whose <paramref name="message"/> says what went wrong and what to do.</summary>
    protected VireoException(string message)
        : base(message)
    {
    }

    /// <summary>An error whose <paramref name="message"/> says what went wrong and what to do, caused by <paramref name="innerException"/>.</summary>
    protected VireoException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
