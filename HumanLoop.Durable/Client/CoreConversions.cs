using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;

namespace HumanLoop.Durable.Client;

/// <summary>
/// Maps between DurableTask.Core's types and the Durable Task SDK's client types. Each enum member is mapped by name,
/// not by number, so a reordering in either package cannot silently swap two statuses.
/// </summary>
internal static class CoreConversions
{
    /// <summary>The statuses an instance can still leave: starting one of these again is refused, never restarted.</summary>
    public static IReadOnlyList<Core.OrchestrationStatus> NonTerminalStatuses { get; } =
    [
        Core.OrchestrationStatus.Pending,
        Core.OrchestrationStatus.Running,
        Core.OrchestrationStatus.Suspended,
        Core.OrchestrationStatus.ContinuedAsNew,
    ];

    /// <summary>The statuses an instance never leaves (unless it is started again): the only ones that may be purged.</summary>
    public static IReadOnlyList<Core.OrchestrationStatus> TerminalStatuses { get; } =
    [
        Core.OrchestrationStatus.Completed,
        Core.OrchestrationStatus.Failed,
        Core.OrchestrationStatus.Terminated,
        Core.OrchestrationStatus.Canceled,
    ];

    public static bool IsTerminal(this Core.OrchestrationStatus status) => TerminalStatuses.Contains(status);

#pragma warning disable CS0618 // ContinuedAsNew and Canceled are obsolete in the SDK but still reported by the engine.
    public static OrchestrationRuntimeStatus ToRuntimeStatus(this Core.OrchestrationStatus status) => status switch
    {
        Core.OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        Core.OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        Core.OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        Core.OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        Core.OrchestrationStatus.Canceled => OrchestrationRuntimeStatus.Canceled,
        Core.OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        Core.OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        Core.OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "The engine reported an orchestration status this client does not know."),
    };

    public static Core.OrchestrationStatus ToCoreStatus(this OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Running => Core.OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Completed => Core.OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.ContinuedAsNew => Core.OrchestrationStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Failed => Core.OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Canceled => Core.OrchestrationStatus.Canceled,
        OrchestrationRuntimeStatus.Terminated => Core.OrchestrationStatus.Terminated,
        OrchestrationRuntimeStatus.Pending => Core.OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Suspended => Core.OrchestrationStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not an orchestration runtime status."),
    };
#pragma warning restore CS0618

    /// <summary>Parses the names in <see cref="StartOrchestrationOptions.DedupeStatuses"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">A name is not an <see cref="OrchestrationRuntimeStatus"/>.</exception>
    public static IEnumerable<Core.OrchestrationStatus> ParseDedupeStatuses(IEnumerable<string> names) =>
        names.Select(name => Enum.TryParse<OrchestrationRuntimeStatus>(name, ignoreCase: true, out var status) && Enum.IsDefined(status)
            ? status.ToCoreStatus()
            : throw new ArgumentException($"'{name}' is not an orchestration runtime status, so it cannot be a dedupe status.", nameof(names)));

    public static TaskFailureDetails? ToTaskFailureDetails(this Core.FailureDetails? details) =>
        details is null
            ? null
            : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, details.InnerFailure.ToTaskFailureDetails(), details.Properties);

    /// <summary>
    /// The SDK's view of an engine state. Input and output are kept, with the converter that reads them, only when
    /// <paramref name="withPayloads"/> is set, so <see cref="OrchestrationMetadata.ReadInputAs{T}"/> fails loudly
    /// when they were not asked for. The serialized custom status and the failure details are always kept.
    /// </summary>
    public static OrchestrationMetadata ToMetadata(this Core.OrchestrationState state, DataConverter converter, bool withPayloads) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = withPayloads ? converter : null,
            RuntimeStatus = state.OrchestrationStatus.ToRuntimeStatus(),
            CreatedAt = AsUtc(state.CreatedTime),
            LastUpdatedAt = AsUtc(state.LastUpdatedTime),
            SerializedInput = withPayloads ? state.Input : null,
            SerializedOutput = withPayloads ? state.Output : null,
            SerializedCustomStatus = state.Status,
            Tags = CallerTags(state.Tags),
            FailureDetails = state.FailureDetails.ToTaskFailureDetails(),
        };

    // The start adds the engine's tracing tags, and AzureStorage stores them on the instance with the caller's tags.
    private static Dictionary<string, string> CallerTags(IDictionary<string, string>? stored) =>
        stored is null
            ? []
            : stored
                .Where(tag => tag.Key is not (Core.OrchestrationTags.CreateTraceForNewOrchestration or Core.OrchestrationTags.RequestTime))
                .ToDictionary(tag => tag.Key, tag => tag.Value);

    // The engine stores UTC times; a kind lost on the way (Unspecified) must not be read as local time.
    private static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
