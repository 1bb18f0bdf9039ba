namespace Vireo.Devices;

/// <summary>Reports each unhandled address once, and stops after a bound with one last line,
/// so that a guest probing or hammering unowned addresses cannot flood the host's log.</summary>
internal sealed class UnhandledAccessLog(string busName, Action<string>? warn, int maxAddresses)
{
    private readonly HashSet<ulong> _seen = [];
    private bool _saturated;

    public void Report(ulong address, string kind, int size)
    {
        if (warn is null || _saturated)
        {
            return;
        }
        string? line = null;
        lock (_seen)
        {
            if (_saturated)
            {
                return;
            }
            if (_seen.Count >= maxAddresses)
            {
                _saturated = true;
                line = $"{busName}: more than {maxAddresses} unhandled addresses; no longer reporting them";
            }
            else if (_seen.Add(address))
            {
                line = $"{busName}: unhandled {size}-byte {kind} at 0x{address:x} (reads return all-ones, writes are ignored)";
            }
        }
        if (line is not null)
        {
            warn(line);
        }
    }
}
