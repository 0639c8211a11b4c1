namespace HumanLoop.Functions.Identity;

/// <summary>Endpoint metadata of the endpoints that take answers, so refusals made before the handler runs (401) are audited on the right channel.</summary>
/// <param name="Channel">The channel the endpoint records answers on, such as <c>http</c> or <c>callback</c>.</param>
internal sealed record AnswerEndpoint(string Channel);
