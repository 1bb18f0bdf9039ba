namespace Vireo.Api.Remote;

/// <summary>The <c>vireo remote</c> command line is wrong; exit status 2.</summary>
internal sealed class RemoteUsageException(string message) : Exception(message);
