namespace Vireo.Api.Http;

/// <summary>The <c>{"error": "..."}</c> answer.</summary>
internal static class ApiError
{
    public static void Respond(HttpExchange exchange, int statusCode, string message, string? allow = null) =>
        exchange.Respond(statusCode, ApiJson.ContentType, Body(message), allow);

    /// <summary>The body: one line of JSON.</summary>
    public static byte[] Body(string message) => ApiJson.Serialize(new ErrorBody(message), ApiJsonContext.Default.ErrorBody);
}
