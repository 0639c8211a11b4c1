using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// Waiting for answers. Each event name has exactly one wait at a time, and no wait is ever cancelled: the isolated
/// SDK hands an event to the newest wait of its name even when that wait was cancelled, so a cancelled wait would
/// swallow the next answer. A wait that completes is armed again at once, and events raised while none is armed
/// are kept by the SDK (and carried over ContinueAsNew).
/// </summary>
internal sealed partial class OrchestratedRun
{
    /// <summary>The respondent recorded for an event raised by name, which names nobody.</summary>
    public const string EventRespondent = "external";

    /// <summary>The channel recorded for an event raised by name.</summary>
    public const string EventChannel = "event";

    private readonly HashSet<string> _waits = new(StringComparer.OrdinalIgnoreCase);
    private ImmutableArray<ResponseOutcomeSummary> _outcomes = [];

    private void ArmStandingWaits()
    {
        ArmWait(HumanLoopTaskNames.ResponseEvent);
        foreach (var node in _graph.Nodes.Where(_graph.IsHumanNode))
        {
            ArmWait(node);
        }
    }

    private void ArmWait(string eventName)
    {
        if (!_waits.Add(eventName))
        {
            return;
        }

        Arm(eventName);
    }

    private void Arm(string eventName)
    {
        var task = _context.WaitForExternalEvent<JsonElement>(eventName);
        _pending.Add(new PendingTask(PendingKind.Wait, task, done => EventMessage(eventName, (Task<JsonElement>)done), () => Arm(eventName)));
    }

    private HumanResponse? EventMessage(string eventName, Task<JsonElement> done)
    {
        var data = done.Result;
        if (!string.Equals(eventName, HumanLoopTaskNames.ResponseEvent, StringComparison.OrdinalIgnoreCase))
        {
            // Raised by name (Durable Functions' raiseEvent): the data is the bare answer. The id is the context's
            // replay-safe GUID, so each such event applies once.
            var answer = data.ValueKind == JsonValueKind.Undefined ? JsonValues.Null : data;
            return new HumanResponse("event:" + _context.NewGuid().ToString("N"), eventName, answer, EventRespondent, EventChannel);
        }

        ResponseEnvelope? envelope = null;
        try
        {
            envelope = data.ValueKind == JsonValueKind.Object ? data.Deserialize(DurableJsonContext.Default.ResponseEnvelope) : null;
        }
        catch (JsonException)
        {
        }

        if (envelope is null || string.IsNullOrEmpty(envelope.MessageId) || string.IsNullOrEmpty(envelope.Target))
        {
            var logger = _context.CreateReplaySafeLogger<GraphOrchestrator>();
            LogIgnoredEvent(logger, _state.RunId, eventName, "its data is not a response envelope with messageId, target and answer");
            return null;
        }

        return new HumanResponse(envelope.MessageId, envelope.Target, envelope.Answer, envelope.Respondent, envelope.Channel);
    }

    private void RememberOutcome(string messageId, ResponseOutcome outcome)
    {
        var summary = new ResponseOutcomeSummary(messageId, outcome.Status, outcome.Request?.Id, outcome.Message)
        {
            RequestStatus = outcome.Request?.Status,
            Answer = outcome.Request?.Answer,
            Respondent = outcome.Request?.Respondent,
            AnsweredVia = outcome.Request?.AnsweredVia,
            ClosedAt = outcome.Request?.ClosedAt,
            Attempts = outcome.Request?.Attempts ?? 0,
        };
        var kept = _outcomes.RemoveAll(o => o.MessageId == messageId).Add(summary);
        _outcomes = kept.Length > RunCustomStatus.MaxOutcomes ? kept.RemoveRange(0, kept.Length - RunCustomStatus.MaxOutcomes) : kept;
    }

    private void PublishStatus() => _context.SetCustomStatus(RunStatusSummary.Create(_state, _outcomes));
}
