namespace Vireo.VfioUser.Fuzz;

/// <summary>An input broke a rule the harness checks (a hang, a server that no longer serves);
/// escaping the target, it is reported to afl-fuzz as a crash with the input saved.</summary>
public sealed class FuzzFailureException : Exception
{
    public FuzzFailureException(string message)
        : base(message)
    {
    }
}
