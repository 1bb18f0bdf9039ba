using Vireo.Sys;

namespace Vireo.Cli.Common;

/// <summary>The command line is wrong; the message says how to fix it. Exit status 2.</summary>
public sealed class UsageException(string message) : VireoException(message);
