namespace Vireo.Api.Fuzz;

/// <summary>The API served an input in a way <see cref="HttpTarget"/> counts as a defect: a 5xx
/// for a client's bytes, an answer that is not well-formed HTTP, an error the server logged, or
/// a connection that did not end.</summary>
public sealed class ApiFindingException(string message) : Exception(message);
