namespace Vireo.LabTool;

/// <summary>The command line was wrong: one line on stderr, exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
