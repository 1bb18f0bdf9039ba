namespace Vireo.Api.Http;

/// <summary>The body of every 4xx and 5xx answer: <c>{"error": "..."}</c>.</summary>
internal sealed record ErrorBody(string Error);
