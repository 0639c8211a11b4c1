using System.Text.Json;

namespace HumanLoop.Functions.Api;

/// <summary>One entry of <c>historyEvents</c>: a run event.</summary>
/// <param name="EventType">The event kind, such as <c>NodeCompleted</c> or <c>InputAccepted</c>.</param>
/// <param name="Sequence">The event's position in the run's log, from 1.</param>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="Node">The node concerned.</param>
/// <param name="RequestId">The human request concerned.</param>
/// <param name="Respondent">Who answered.</param>
/// <param name="Message">Validation messages and failure reasons.</param>
/// <param name="Data">Answers and outputs; only with <c>showHistoryOutput=true</c>.</param>
/// <param name="Channel">The channel an answer came through (input events).</param>
/// <param name="Outcome">What became of an answer: <c>Accepted</c> or <c>Rejected</c> (input events).</param>
/// <param name="MessageId">The answer's message id (input events).</param>
internal sealed record HistoryEventResponse(
    string EventType,
    long Sequence,
    DateTime Timestamp,
    string? Node,
    string? RequestId,
    string? Respondent,
    string? Message,
    JsonElement? Data,
    string? Channel = null,
    string? Outcome = null,
    string? MessageId = null);
