namespace Vireo.Api.Http;

/// <summary>The shape shared by the PUT actions: validate, send the request to the control loop, answer 204.</summary>
internal static class VmAction
{
    /// <summary>An action without a body; a body sent anyway is an error rather than ignored.</summary>
    public static ApiHandler WithoutBody(Func<Task> action) => async exchange =>
    {
        RequestBody.RequireEmpty(exchange);
        await action();
        Done(exchange);
    };

    public static void Done(HttpExchange exchange) => exchange.Respond(HttpStatus.NoContent, null, default);
}
