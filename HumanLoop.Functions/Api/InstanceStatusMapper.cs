using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Api;

/// <summary>Maps the client's run status to Durable Functions' HTTP status shape.</summary>
internal static class InstanceStatusMapper
{
    public static InstanceStatusResponse ToResponse(RunStatusInfo info, bool showInput, bool showHistory, bool showHistoryOutput)
    {
        JsonElement? output = info.RuntimeStatus switch
        {
            RunStatus.Completed => info.Output,

            // Durable Functions puts the failure or termination reason in 'output'.
            RunStatus.Failed or RunStatus.Terminated when info.Error is not null =>
                JsonSerializer.SerializeToElement(info.Error, ApiJsonContext.Default.String),
            _ => null,
        };

        return new InstanceStatusResponse(
            info.Name,
            info.InstanceId,
            info.RuntimeStatus.ToString(),
            showInput ? info.Input : null,
            info.OpenRequests.Count > 0 ? new CustomStatusResponse(info.OpenRequests) : null,
            output,
            info.CreatedTime.UtcDateTime,
            info.LastUpdatedTime.UtcDateTime,
            showHistory ? (info.History ?? []).Select(e => ToResponse(e, showHistoryOutput)).ToList() : null);
    }

    private static HistoryEventResponse ToResponse(RunEvent e, bool showOutput) =>
        new(
            e.Kind.ToString(),
            e.Sequence,
            e.At.UtcDateTime,
            e.Node,
            e.RequestId,
            e.Respondent,
            e.Message,
            showOutput ? e.Data : null,
            e.Channel,
            e.Outcome?.ToString(),
            e.MessageId);
}
