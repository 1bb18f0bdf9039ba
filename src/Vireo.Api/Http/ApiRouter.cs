namespace Vireo.Api.Http;

/// <summary>
/// The route table: (method, path) → handler, matched literally (paths are ASCII and compared
/// ignoring case, with one trailing slash allowed, as ASP.NET routing did). A path no route has
/// is 404; a path with routes for other methods is 405 with Allow. <see cref="DispatchAsync"/>
/// turns whatever a handler throws into the API's JSON error, so no request can take the server
/// down.
/// </summary>
internal sealed class ApiRouter(TextWriter? errorLog)
{
    private readonly List<ApiRoute> _routes = [];

    public IReadOnlyList<ApiRoute> Routes => _routes;

    public void MapGet(string path, ApiHandler handler) => Map("GET", path, handler);

    public void MapPut(string path, ApiHandler handler) => Map("PUT", path, handler);

    public void Map(string method, string path, ApiHandler handler)
    {
        if (Find(method, path) is not null)
        {
            throw new InvalidOperationException($"{method} {path} is mapped twice");
        }
        _routes.Add(new ApiRoute(method, path, handler));
    }

    /// <summary>The handler for <paramref name="method"/> on <paramref name="path"/>, or null; then
    /// <paramref name="allow"/> lists the methods the path takes (empty: no such path).</summary>
    public ApiHandler? Match(string method, string path, out string allow)
    {
        allow = "";
        if (path.Length > 1 && path[^1] == '/')
        {
            path = path[..^1];
        }
        if (Find(method, path) is ApiRoute route)
        {
            return route.Handler;
        }
        foreach (ApiRoute other in _routes)
        {
            if (string.Equals(other.Path, path, StringComparison.OrdinalIgnoreCase))
            {
                allow = allow.Length == 0 ? other.Method : $"{allow}, {other.Method}";
            }
        }
        return null;
    }

    /// <summary>Answers <paramref name="exchange"/>: the handler's answer, or the JSON error for
    /// what it threw, or 404/405 when no handler matches.</summary>
    public async Task DispatchAsync(HttpExchange exchange)
    {
        ApiHandler? handler = Match(exchange.Method, exchange.Path, out string allow);
        if (handler is null)
        {
            if (allow.Length == 0)
            {
                ApiError.Respond(exchange, HttpStatus.NotFound, ApiErrors.NotFound(exchange.Path));
            }
            else
            {
                ApiError.Respond(exchange, HttpStatus.MethodNotAllowed, ApiErrors.MethodNotAllowed(exchange.Method, exchange.Path, allow), allow);
            }
            return;
        }
        try
        {
            await handler(exchange);
        }
        catch (Exception) when (exchange.RequestAborted.IsCancellationRequested)
        {
            throw; // The client went away or the server is stopping; nobody to answer.
        }
        catch (Exception e)
        {
            (int status, string message) = ApiErrors.Classify(e, exchange);
            if (status >= HttpStatus.InternalServerError)
            {
                errorLog?.WriteLine($"vireo api: {exchange.Endpoint}: {e}");
            }
            if (exchange.HasStarted)
            {
                throw; // Mid-stream: the only honest signal left is to cut the connection.
            }
            ApiError.Respond(exchange, status, message);
        }
    }

    private ApiRoute? Find(string method, string path)
    {
        foreach (ApiRoute route in _routes)
        {
            if (route.Method == method && string.Equals(route.Path, path, StringComparison.OrdinalIgnoreCase))
            {
                return route;
            }
        }
        return null;
    }
}
