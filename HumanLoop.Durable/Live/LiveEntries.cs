using System.Text.Json;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Runs;
using HumanLoop.Serialization;

namespace HumanLoop.Durable.Live;

/// <summary>The live-log entries of what a transition recorded: its events, each prompt with its request, and withdrawals.</summary>
internal static class LiveEntries
{
    /// <summary>The entries of <paramref name="record"/>, in event order.</summary>
    /// <param name="record">A transition's records.</param>
    public static List<LiveEntry> From(RecordInput record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var opened = record.Opened.IsDefault ? [] : record.Opened;
        var entries = new List<LiveEntry>();
        foreach (var withdrawn in record.Withdraw?.Opened ?? [])
        {
            entries.Add(new LiveEntry { Type = LiveEntryType.Withdrawn, At = record.Events.IsDefaultOrEmpty ? default : record.Events[0].At, RequestId = withdrawn });
        }

        foreach (var e in record.Events.IsDefault ? [] : record.Events)
        {
            entries.Add(From(e, opened.FirstOrDefault(o => o.Request.Id == e.RequestId)?.Request));
        }

        return entries;
    }

    /// <summary>The entry of one run event.</summary>
    /// <param name="e">The event.</param>
    /// <param name="opened">The request it opened, for a <see cref="RunEventKind.HumanInputRequested"/> event.</param>
    public static LiveEntry From(RunEvent e, HumanRequest? opened = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var type = e.Kind switch
        {
            RunEventKind.HumanInputRequested => LiveEntryType.Prompt,
            RunEventKind.InputAccepted => LiveEntryType.Accepted,
            RunEventKind.InputRejected => LiveEntryType.Invalid,
            RunEventKind.Completed or RunEventKind.Failed or RunEventKind.Terminated => LiveEntryType.End,
            _ => LiveEntryType.Status,
        };
        return new LiveEntry
        {
            Type = type,
            At = e.At,
            Node = e.Node,
            RequestId = e.RequestId,
            MessageId = e.MessageId,
            Text = e.Message,
            Respondent = e.Respondent,
            Channel = e.Channel,
            EventKind = e.Kind.ToString(),
            EventSequence = e.Sequence,
            Data = type == LiveEntryType.Prompt && opened is not null
                ? JsonSerializer.SerializeToElement(opened, HumanLoopJsonContext.Default.HumanRequest)
                : e.Data,
        };
    }

    /// <summary>The end of a run its orchestrator did not record (the engine's terminate runs none of its code).</summary>
    /// <param name="at">When.</param>
    /// <param name="reason">The reason given.</param>
    public static LiveEntry Terminated(DateTimeOffset at, string reason) => new()
    {
        Type = LiveEntryType.End,
        At = at,
        Text = reason,
        EventKind = nameof(RunEventKind.Terminated),
    };
}
