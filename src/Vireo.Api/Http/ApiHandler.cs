namespace Vireo.Api.Http;

/// <summary>Serves one (method, path) of the API.</summary>
internal delegate Task ApiHandler(HttpExchange exchange);
