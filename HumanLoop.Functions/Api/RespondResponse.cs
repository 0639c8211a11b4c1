using HumanLoop.Runs;

namespace HumanLoop.Functions.Api;

/// <summary>What became of an answer to a human request.</summary>
/// <param name="Status"><c>Accepted</c>, <c>Duplicate</c> (already applied, nothing changed) or <c>Buffered</c> (kept until the request opens).</param>
/// <param name="Message">A message to show, if any.</param>
/// <param name="Request">The request as it is after the answer, when known.</param>
internal sealed record RespondResponse(string Status, string? Message, HumanRequest? Request);
