using System.Globalization;

namespace HumanLoop.Durable.TaskHub;

/// <summary>
/// Every storage name of one task hub, derived from the hub name the way Durable Functions' Azure Storage provider
/// does it: tables keep the hub name's case (<c>{Hub}Instances</c>), queues and blob containers use it in lower case
/// (<c>{hub}-control-00</c>). Two hubs whose names differ only in case therefore share storage. HumanLoop adds
/// <c>{Hub}HumanTasks</c>, <c>{Hub}UsedLinks</c>, <c>{Hub}Notices</c>, <c>{Hub}WebhookDeadLetters</c>,
/// <c>{Hub}Audit</c>, <c>{Hub}Idempotency</c>, <c>{Hub}Live</c>, <c>{Hub}LiveWake</c>, <c>{hub}-human-tasks</c> and <c>{hub}-keys</c> beside the engine's own.
/// </summary>
/// <remarks>
/// A hub name has 3-45 characters, letters and digits only, and starts with a letter; the longest
/// derived name then still fits Azure's 63-character limit for tables, queues and containers.
/// </remarks>
public sealed record TaskHubNames
{
    /// <summary>The hub name used when host.json sets none: <c>HumanLoopHub</c>.</summary>
    public const string DefaultHubName = "HumanLoopHub";

    /// <summary>The default number of control-queue partitions: 4.</summary>
    public const int DefaultPartitionCount = 4;

    /// <summary>The most control-queue partitions a hub may have: 16, as in Durable Functions.</summary>
    public const int MaxPartitionCount = 16;

    /// <summary>The shortest valid hub name: 3 characters.</summary>
    public const int MinHubNameLength = 3;

    /// <summary>The longest valid hub name: 45 characters.</summary>
    public const int MaxHubNameLength = 45;

    /// <summary>Initializes the names of the hub <paramref name="hubName"/>.</summary>
    /// <param name="hubName">The task hub name, for example <c>HumanLoopHub</c>.</param>
    /// <param name="partitionCount">The number of control queues, 1..16. The default is 4.</param>
    /// <exception cref="ArgumentException"><paramref name="hubName"/> is not a valid hub name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is outside 1..16.</exception>
    public TaskHubNames(string hubName, int partitionCount = DefaultPartitionCount)
    {
        ValidateHubName(hubName);
        if (partitionCount is < 1 or > MaxPartitionCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(partitionCount),
                partitionCount,
                $"The partition count must be between 1 and {MaxPartitionCount}.");
        }

        HubName = hubName;
        PartitionCount = partitionCount;
    }

    /// <summary>Gets the hub name as configured.</summary>
    public string HubName { get; }

    /// <summary>Gets the number of control-queue partitions.</summary>
    public int PartitionCount { get; }

    /// <summary>Gets the engine's table of instances (status, input, output, custom status): <c>{Hub}Instances</c>.</summary>
    public string InstancesTable => HubName + "Instances";

    /// <summary>Gets the engine's table of orchestration histories: <c>{Hub}History</c>.</summary>
    public string HistoryTable => HubName + "History";

    /// <summary>Gets HumanLoop's table of human tasks (one row per request): <c>{Hub}HumanTasks</c>.</summary>
    public string HumanTasksTable => HubName + "HumanTasks";


    /// <summary>Gets HumanLoop's table of spent link tokens (one row per token, with its decision): <c>{Hub}UsedLinks</c>.</summary>
    public string UsedLinksTable => HubName + "UsedLinks";

    /// <summary>Gets HumanLoop's table of sent notices (one row per task, notice and channel): <c>{Hub}Notices</c>.</summary>
    public string NoticesTable => HubName + "Notices";

    /// <summary>Gets HumanLoop's table of webhook notices that failed every attempt: <c>{Hub}WebhookDeadLetters</c>.</summary>
    public string WebhookDeadLettersTable => HubName + "WebhookDeadLetters";

    /// <summary>Gets HumanLoop's table of answers refused before they reach a run (one partition per run): <c>{Hub}Audit</c>.</summary>
    public string AuditTable => HubName + "Audit";

    /// <summary>Gets HumanLoop's table of callback outcomes kept per <c>Idempotency-Key</c>: <c>{Hub}Idempotency</c>.</summary>
    public string IdempotencyTable => HubName + "Idempotency";

    /// <summary>
    /// Gets HumanLoop's run log, <c>{Hub}Live</c>: per run (the partition) its live log (agent output and the run's events
    /// in one gapless sequence) and its run events (the audit trail), written together.
    /// </summary>
    public string LiveTable => HubName + "Live";

    /// <summary>
    /// Gets HumanLoop's live doorbell (which runs' live logs each host appended to, a moment ago, and which hosts have
    /// live readers): <c>{Hub}LiveWake</c>.
    /// </summary>
    public string LiveWakeTable => HubName + "LiveWake";

    /// <summary>Gets the engine's queue of activity work items: <c>{hub}-workitems</c>.</summary>
    public string WorkItemQueue => Lower + "-workitems";

    /// <summary>Gets HumanLoop's queue of opened and closed human-task notices for external systems: <c>{hub}-human-tasks</c>.</summary>
    public string HumanTasksQueue => Lower + "-human-tasks";

    /// <summary>Gets the engine's container of oversized messages and payloads: <c>{hub}-largemessages</c>.</summary>
    public string LargeMessagesContainer => Lower + "-largemessages";

    /// <summary>Gets the engine's container of partition leases: <c>{hub}-leases</c>.</summary>
    public string LeasesContainer => Lower + "-leases";

    /// <summary>Gets HumanLoop's container of the Data Protection key ring that signs links, shared by every host: <c>{hub}-keys</c>.</summary>
    public string KeysContainer => Lower + "-keys";

    /// <summary>Gets the engine's control queues, one per partition.</summary>
    public IReadOnlyList<string> ControlQueues =>
        [.. Enumerable.Range(0, PartitionCount).Select(ControlQueue)];

    /// <summary>Gets every table of the hub: the engine's and HumanLoop's.</summary>
    public IReadOnlyList<string> Tables => [InstancesTable, HistoryTable, HumanTasksTable, UsedLinksTable, NoticesTable, WebhookDeadLettersTable, AuditTable, IdempotencyTable, LiveTable, LiveWakeTable];

    /// <summary>Gets every queue of the hub: the engine's and HumanLoop's.</summary>
    public IReadOnlyList<string> Queues => [.. ControlQueues, WorkItemQueue, HumanTasksQueue];

    /// <summary>Gets every blob container of the hub: the engine's and HumanLoop's.</summary>
    public IReadOnlyList<string> BlobContainers => [LargeMessagesContainer, LeasesContainer, KeysContainer];

    private string Lower => HubName.ToLowerInvariant();

    /// <summary>Returns the name of control queue <paramref name="partition"/>, such as <c>humanloophub-control-02</c>.</summary>
    /// <param name="partition">The partition, 0 to <see cref="PartitionCount"/> - 1.</param>
    /// <returns>The queue name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not a partition of this hub.</exception>
    public string ControlQueue(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, PartitionCount);
        return string.Create(CultureInfo.InvariantCulture, $"{Lower}-control-{partition:00}");
    }

    /// <summary>Returns whether <paramref name="hubName"/> is a valid hub name.</summary>
    /// <param name="hubName">The candidate name.</param>
    /// <returns><see langword="true"/> for 3-45 letters and digits starting with a letter.</returns>
    public static bool IsValidHubName(string? hubName) => GetHubNameProblem(hubName) is null;

    /// <summary>Throws when <paramref name="hubName"/> is not a valid hub name.</summary>
    /// <param name="hubName">The candidate name.</param>
    /// <exception cref="ArgumentException">The name is empty, too short or long, or has a character other than an ASCII letter or digit, or does not start with a letter.</exception>
    public static void ValidateHubName(string? hubName)
    {
        var problem = GetHubNameProblem(hubName);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(hubName));
        }
    }

    /// <summary>Returns the hub name and partition count.</summary>
    /// <returns>For example <c>TaskHubNames { HubName = HumanLoopHub, PartitionCount = 4 }</c>.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"TaskHubNames {{ HubName = {HubName}, PartitionCount = {PartitionCount} }}");

    internal static string? GetHubNameProblem(string? hubName)
    {
        if (string.IsNullOrEmpty(hubName))
        {
            return "A task hub name is required: 3-45 letters and digits, starting with a letter (for example 'HumanLoopHub').";
        }

        if (hubName.Length is < MinHubNameLength or > MaxHubNameLength)
        {
            return $"Task hub name '{hubName}' has {hubName.Length} characters; it must have {MinHubNameLength}-{MaxHubNameLength}.";
        }

        if (!char.IsAsciiLetter(hubName[0]))
        {
            return $"Task hub name '{hubName}' must start with a letter.";
        }

        foreach (var c in hubName)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return $"Task hub name '{hubName}' may only contain the letters A-Z, a-z and the digits 0-9 " +
                    $"(table, queue and container names are derived from it); '{c}' is not allowed.";
            }
        }

        return null;
    }
}
