namespace Vireo.Sys;

/// <summary>An error the person running Vireo can act on: a bad file, a missing device, a
/// refused request, a failed system call. Its message is one line that says what is wrong and,
/// where there is one, the fix. The command line prints that line alone (exit 1, or 2 for a
/// usage error); any other exception that reaches it is a bug and is printed with its stack.</summary>
public abstract class VireoException : Exception
{
    protected VireoException()
        : base("Vireo failed")
    {
    }

    protected VireoException(string message)
        : base(message)
    {
    }

    protected VireoException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
