namespace Vireo.Api.Http;

/// <summary>One row of the route table.</summary>
internal sealed record ApiRoute(string Method, string Path, ApiHandler Handler);
