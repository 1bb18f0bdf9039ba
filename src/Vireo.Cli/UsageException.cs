namespace Vireo.Cli;

/// <summary>The command line is wrong; the message says how to fix it. Exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
