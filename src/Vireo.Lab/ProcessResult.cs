namespace Vireo.Lab;

/// <summary>How a helper program (apt-get, dpkg, xz, ldd) ended.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last lines of stderr (else stdout), for error messages.</summary>
    public string Tail(int lines = 12)
    {
        string text = StandardError.Trim().Length > 0 ? StandardError : StandardOutput;
        string[] all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
