using System.Text.RegularExpressions;

namespace Vireo.Lab.Tests;

/// <summary>Values the lab's scenarios print as NAME=VALUE lines.</summary>
internal static class LabOutput
{
    /// <summary>The SHA-256 on the line <c>NAME=…</c> of <paramref name="output"/>; fails the test when there is none.</summary>
    public static string Sha(string output, string name)
    {
        string sha = Regex.Match(output, $@"(?m)^\s*{name}=(?<sha>[0-9a-f]{{64}})\r?$").Groups["sha"].Value;
        Assert.True(sha.Length == 64, $"no {name}=SHA256 line in the output:\n{output}");
        return sha;
    }
}
