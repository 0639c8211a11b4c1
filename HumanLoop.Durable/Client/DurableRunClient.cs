using System.Text.Json;
using DurableTask.Core.Exceptions;
using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace HumanLoop.Durable.Client;

/// <summary>
/// HumanLoop's run operations on top of a Durable Functions <see cref="DurableTaskClient"/>: the Functions host's
/// <c>[DurableClient]</c> when deployed, <see cref="EngineDurableTaskClient"/> when self-hosted. Runs are orchestration
/// instances; answers are external events; the human-task and run-event tables add what the engine does not keep.
/// </summary>
public sealed class DurableRunClient : IDurableRunClient
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(200);
    private static readonly string[] AllStatuses = [.. Enum.GetValues<OrchestrationRuntimeStatus>().Select(s => s.ToString())];

    private readonly DurableTaskClient _client;
    private readonly IGraphCatalog _graphs;
    private readonly HumanTaskStore _tasks;
    private readonly RunEventStore _events;
    private readonly AnswerAuditStore _audit;
    private readonly TimeProvider _time;
    private readonly TimeSpan _responseTimeout;
    private readonly LiveLog? _live;

    /// <summary>Creates the client.</summary>
    /// <param name="client">The engine's client.</param>
    /// <param name="graphs">The registered graphs.</param>
    /// <param name="tasks">The human-task store.</param>
    /// <param name="events">The run-event store.</param>
    /// <param name="audit">Where answers refused without an event in the run's log are audited.</param>
    /// <param name="time">The clock polls wait on, and audit rows are dated by.</param>
    /// <param name="responseTimeout">How long <see cref="RespondAsync"/> waits for the run to apply an answer.</param>
    /// <param name="live">The live log, told when a run is terminated and cleared when it is purged; null when there is none.</param>
    public DurableRunClient(DurableTaskClient client, IGraphCatalog graphs, HumanTaskStore tasks, RunEventStore events, AnswerAuditStore audit, TimeProvider time, TimeSpan responseTimeout, LiveLog? live = null)
    {
        _live = live;
        _audit = audit;
        _client = client;
        _graphs = graphs;
        _tasks = tasks;
        _events = events;
        _time = time;
        _responseTimeout = responseTimeout;
    }

    /// <inheritdoc/>
    public async Task<string> StartRunAsync(string graph, JsonElement input, StartRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var compiled = _graphs.Find(graph) ?? throw new UnknownGraphException(graph);
        if (options?.RunId is not { } id)
        {
            return await _client.ScheduleNewOrchestrationInstanceAsync(compiled.Name, input, cancellation: cancellationToken).ConfigureAwait(false);
        }

        // A run id is used once. The self-hosted client refuses a start whose id exists in any of the dedupe statuses
        // with the one instance read it makes anyway, so every status is passed to it rather than read here first; the
        // Functions host's handling of dedupe statuses depends on its extension version, so there the id is read.
        if (_client is not EngineDurableTaskClient)
        {
            if (await _client.GetInstanceAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                return options.DedupeExisting ? id : throw new RunAlreadyExistsException(id);
            }

            return await _client.ScheduleNewOrchestrationInstanceAsync(compiled.Name, input, new StartOrchestrationOptions(id), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await _client.ScheduleNewOrchestrationInstanceAsync(
                compiled.Name,
                input,
                new StartOrchestrationOptions(id) { DedupeStatuses = AllStatuses },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return options.DedupeExisting ? id : throw new RunAlreadyExistsException(id);
        }
    }

    /// <inheritdoc/>
    public async Task RaiseEventAsync(string runId, string eventName, JsonElement data, string? respondent = null, CancellationToken cancellationToken = default)
    {
        var instance = await RequireAsync(runId, cancellationToken).ConfigureAwait(false);
        if (instance.IsCompleted)
        {
            throw new RunFinishedException(runId, ToRunStatus(instance.RuntimeStatus));
        }

        await _client.RaiseEventAsync(runId, eventName, data, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Every answer that gets no event in the run's log is audited in <c>{Hub}Audit</c>: those refused here (pre-validation,
    /// a closed request, a finished run, a retry) and those the run refused without changing (already answered, expired).
    /// Accepted and rejected answers the run applied are audited by its <see cref="RunEventKind.InputAccepted"/> and
    /// <see cref="RunEventKind.InputRejected"/> events.
    /// </remarks>
    public async Task<ResponseOutcome> RespondAsync(
        string runId,
        string target,
        JsonElement answer,
        string respondent,
        string? channel = null,
        string? messageId = null,
        CancellationToken cancellationToken = default)
    {
        OpenRequestSummary? open = null;

        // A caller usually names the request itself (a request id has the run id and the node in it): its row is read
        // while the instance is, saving a round trip before the answer is raised.
        var byId = target.Contains(':', StringComparison.Ordinal) ? _tasks.GetAsync(runId, target, cancellationToken) : null;
        _ = byId?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var instance = await RequireAsync(runId, cancellationToken).ConfigureAwait(false);
        var status = ReadCustomStatus(instance);
        if (messageId is not null && status.Outcomes.FirstOrDefault(o => o.MessageId == messageId) is { } earlier)
        {
            // A retry of an answer the run already applied: reported as such, and not raised again.
            var repeated = earlier.Status == ResponseStatus.Accepted ? earlier with { Status = ResponseStatus.Duplicate, Message = "This answer was already applied." } : earlier;
            var replayed = await ToOutcomeAsync(runId, repeated, status, cancellationToken).ConfigureAwait(false);
            return await AuditedAsync(replayed, ResponseStatus.Duplicate, $"A retry of message '{messageId}', first decided as {earlier.Status}.").ConfigureAwait(false);
        }

        if (instance.IsCompleted)
        {
            // A request the finished run had already answered says so, with the recorded answer (409), rather than
            // only that the run is over; the task is found as for a request that is no longer open.
            if ((await RefuseOrFindAsync(instance, target, cancellationToken, byId).ConfigureAwait(false)).Refusal is { Status: ResponseStatus.AlreadyAnswered } answered)
            {
                return await AuditedAsync(answered).ConfigureAwait(false);
            }

            return await AuditedAsync(new ResponseOutcome(ResponseStatus.RunFinished, $"Run '{runId}' has finished ({ToRunStatus(instance.RuntimeStatus)}); it takes no more answers.", null)).ConfigureAwait(false);
        }

        open = status.Open.FirstOrDefault(r => string.Equals(r.Id, target, StringComparison.OrdinalIgnoreCase))
            ?? status.Open.FirstOrDefault(r => string.Equals(r.Node, target, StringComparison.OrdinalIgnoreCase));
        HumanTaskRecord? task;
        if (open is null)
        {
            var (refusal, opening) = await RefuseOrFindAsync(instance, target, cancellationToken, byId).ConfigureAwait(false);
            if (refusal is not null)
            {
                return await AuditedAsync(refusal).ConfigureAwait(false);
            }

            // Recorded open, and not yet in the run's status: the node's activity stored the request it opens before
            // the run applied that node's result. The answer is checked against it, and its outcome awaited.
            task = opening;
        }
        else
        {
            task = byId is not null && string.Equals(open.Id, target, StringComparison.Ordinal)
                ? await byId.ConfigureAwait(false)
                : await _tasks.GetAsync(runId, open.Id, cancellationToken).ConfigureAwait(false);
        }

        if (task is { State: { } state } && _graphs.Find(instance.Name) is { } graph && graph.IsHumanNode(task.Node)
            && graph.CheckAnswer(task.Node, state, answer) is { } invalid)
        {
            return await AuditedAsync(new ResponseOutcome(ResponseStatus.Rejected, invalid, task.ToRequest())).ConfigureAwait(false);
        }

        messageId ??= Guid.NewGuid().ToString("N");
        var envelope = new ResponseEnvelope { MessageId = messageId, Target = open?.Id ?? task?.RequestId ?? target, Answer = answer, Respondent = respondent, Channel = channel };
        await _client.RaiseEventAsync(
            runId,
            HumanLoopTaskNames.ResponseEvent,
            JsonSerializer.SerializeToElement(envelope, DurableJsonContext.Default.ResponseEnvelope),
            cancellationToken).ConfigureAwait(false);
        var outcome = await WaitForOutcomeAsync(runId, messageId, open, task, cancellationToken).ConfigureAwait(false);

        // The run logged accepted and rejected answers itself; one still on its way (buffered) is logged when applied.
        return outcome.Status is ResponseStatus.Accepted or ResponseStatus.Rejected or ResponseStatus.Buffered
            ? outcome
            : await AuditedAsync(outcome).ConfigureAwait(false);

        async Task<ResponseOutcome> AuditedAsync(ResponseOutcome refused, ResponseStatus? recordAs = null, string? reason = null)
        {
            await _audit.AppendAsync(
                new AnswerAuditEntry
                {
                    RunId = runId,
                    RequestId = refused.Request?.Id ?? open?.Id ?? target,
                    MessageId = messageId,
                    Respondent = respondent,
                    Channel = channel,
                    At = _time.GetUtcNow(),
                    Outcome = (recordAs ?? refused.Status).ToString(),
                    Reason = reason ?? refused.Message,
                    Source = AnswerAuditEntry.ApiSource,
                },
                cancellationToken).ConfigureAwait(false);
            return refused;
        }
    }

    /// <inheritdoc/>
    public async Task<RunStatusInfo?> GetStatusAsync(string runId, StatusOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new StatusOptions();
        var instance = await _client.GetInstanceAsync(runId, getInputsAndOutputs: options.ShowInput || options.ShowOutput, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return null;
        }

        var info = ToInfo(instance, options);
        return options.ShowHistory
            ? info with { History = await _events.ReadAsync(runId, 0, int.MaxValue, cancellationToken).ConfigureAwait(false) }
            : info;
    }

    /// <inheritdoc/>
    public async Task<RunQueryResult> QueryAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = new OrchestrationQuery
        {
            Statuses = query.Statuses?.Select(ToRuntimeStatus).ToList(),
            CreatedFrom = query.CreatedFrom,
            CreatedTo = query.CreatedTo,
            InstanceIdPrefix = query.InstanceIdPrefix,
            PageSize = query.PageSize,
            ContinuationToken = query.ContinuationToken,
            FetchInputsAndOutputs = true,
        };
        await foreach (var page in _client.GetAllInstancesAsync(filter).AsPages(query.ContinuationToken, query.PageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var runs = page.Values
                .Where(m => query.Graph is null || string.Equals(m.Name, query.Graph, StringComparison.OrdinalIgnoreCase))
                .Select(m => ToInfo(m, new StatusOptions()))
                .ToList();
            return new RunQueryResult(runs, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return new RunQueryResult([], null);
    }

    /// <inheritdoc/>
    public async Task<bool> TerminateAsync(string runId, string reason, CancellationToken cancellationToken = default)
    {
        var instance = await RequireAsync(runId, cancellationToken).ConfigureAwait(false);
        if (instance.IsCompleted)
        {
            return false;
        }

        await _client.TerminateInstanceAsync(runId, new TerminateInstanceOptions { Output = reason }, cancellationToken).ConfigureAwait(false);

        // A terminated orchestration runs none of its code again, so its open tasks are closed here, for the inbox and
        // the task queue's subscribers. Should an answer beat the termination, its record closes the task again.
        foreach (var task in await _tasks.ListAsync(new HumanTaskQuery { RunId = runId, Status = HumanRequestStatus.Open }, cancellationToken).ConfigureAwait(false))
        {
            var request = task.ToRequest() with { Status = HumanRequestStatus.Cancelled, ClosedAt = _time.GetUtcNow(), LastError = $"The run was terminated: {reason}" };
            await _tasks.CloseAsync(task.Graph, new ClosedTask(request, null), cancellationToken).ConfigureAwait(false);
        }

        // Nor does it record its end: live clients are told here.
        if (_live is not null)
        {
            await _live.AppendAsync(runId, [LiveEntries.Terminated(_time.GetUtcNow(), reason)], cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <inheritdoc/>
    public async Task<bool> PurgeAsync(string runId, CancellationToken cancellationToken = default)
    {
        var instance = await _client.GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return false;
        }

        if (!instance.IsCompleted)
        {
            throw new InvalidOperationException($"Run '{runId}' is {ToRunStatus(instance.RuntimeStatus)}; only a finished run can be purged.");
        }

        var result = await _client.PurgeInstanceAsync(runId, cancellation: cancellationToken).ConfigureAwait(false);
        await _events.DeleteAsync(runId, cancellationToken).ConfigureAwait(false);
        await _audit.DeleteAsync(runId, cancellationToken).ConfigureAwait(false);
        if (_live is not null)
        {
            await _live.DeleteAsync(runId, cancellationToken).ConfigureAwait(false);
        }

        return result.PurgedInstanceCount > 0;
    }

    /// <inheritdoc/>
    public async Task<RunStatusInfo> WaitForCompletionAsync(string runId, CancellationToken cancellationToken = default)
    {
        var instance = await _client.WaitForInstanceCompletionAsync(runId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return instance is null ? throw new RunNotFoundException(runId) : ToInfo(instance, new StatusOptions());
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RunEvent>> GetEventsAsync(string runId, long afterSequence = 0, int maxCount = 1000, CancellationToken cancellationToken = default) =>
        _events.ReadAsync(runId, afterSequence, maxCount, cancellationToken);

    /// <summary>Reads the custom status the graph orchestrator publishes; an instance that has not run yet has an empty one.</summary>
    /// <param name="instance">The instance.</param>
    public static RunCustomStatus ReadCustomStatus(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (string.IsNullOrEmpty(instance.SerializedCustomStatus))
        {
            return new RunCustomStatus();
        }

        try
        {
            return JsonSerializer.Deserialize(instance.SerializedCustomStatus, DurableJsonContext.Default.RunCustomStatus) ?? new RunCustomStatus();
        }
        catch (JsonException)
        {
            // Not one of ours (an orchestration that is not a graph); it has no human requests.
            return new RunCustomStatus();
        }
    }

    private async Task<OrchestrationMetadata> RequireAsync(string runId, CancellationToken cancellationToken) =>
        await _client.GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);

    /// <summary>Why an answer for a request that is not open is refused without reaching the run, or null to deliver it.</summary>
    private async Task<ResponseOutcome?> RefuseAsync(OrchestrationMetadata instance, string target, CancellationToken cancellationToken) =>
        (await RefuseOrFindAsync(instance, target, cancellationToken).ConfigureAwait(false)).Refusal;

    /// <summary>
    /// Why an answer for a request that is not in the run's status is refused, or null to deliver it; and the request's
    /// row when it is recorded open (it is opening: the run has not applied the result that opened it yet).
    /// </summary>
    private async Task<(ResponseOutcome? Refusal, HumanTaskRecord? Opening)> RefuseOrFindAsync(
        OrchestrationMetadata instance, string target, CancellationToken cancellationToken, Task<HumanTaskRecord?>? rowRead = null)
    {
        var runId = instance.InstanceId;
        if (await (rowRead ?? _tasks.GetAsync(runId, target, cancellationToken)).ConfigureAwait(false) is { } byId)
        {
            // Recorded but not in the run's status: it closed a moment ago (refused here), or it is opening.
            return Closed(byId) is { } closed ? (closed, null) : (null, byId);
        }

        var graph = _graphs.Find(instance.Name);
        var node = graph?.Nodes.FirstOrDefault(n => string.Equals(n, target, StringComparison.OrdinalIgnoreCase));
        if (graph is not null && (node is null || !graph.IsHumanNode(node)))
        {
            return (new ResponseOutcome(ResponseStatus.UnknownRequest, $"Run '{runId}' has no request or human node '{target}'.", null), null);
        }

        // A node that asked before and is not asking now: its last request just closed. An answer for a node that has
        // not asked yet is delivered, and the run keeps it until the node asks, as Durable Functions keeps events.
        var last = await _tasks.LatestOfNodeAsync(runId, node ?? target, cancellationToken).ConfigureAwait(false);
        return last is null ? (null, null) : Closed(last) is { } refused ? (refused, null) : (null, last);

        static ResponseOutcome? Closed(HumanTaskRecord task) => task.Status switch
        {
            HumanRequestStatus.Open => null,
            HumanRequestStatus.Accepted => new ResponseOutcome(ResponseStatus.AlreadyAnswered, $"Request '{task.RequestId}' was already answered by {task.Respondent ?? "someone"}{(task.AnsweredVia is { } via ? " via " + via : string.Empty)}.", task.ToRequest()),
            _ => new ResponseOutcome(ResponseStatus.Expired, $"Request '{task.RequestId}' is no longer open ({task.Status}).", task.ToRequest()),
        };
    }

    private async Task<ResponseOutcome> WaitForOutcomeAsync(string runId, string messageId, OpenRequestSummary? open, HumanTaskRecord? task, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var delay = FirstPoll;
        while (true)
        {
            var instance = await _client.GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false);
            if (instance is not null)
            {
                var status = ReadCustomStatus(instance);
                // An answer to a request that is opening is kept by the run until it opens, a moment later: its verdict
                // is awaited rather than reported as buffered.
                if (status.Outcomes.FirstOrDefault(o => o.MessageId == messageId) is { } outcome
                    && !(outcome.Status == ResponseStatus.Buffered && task is { Status: HumanRequestStatus.Open } && !instance.IsCompleted))
                {
                    return await ToOutcomeAsync(runId, outcome, status, cancellationToken, open, task).ConfigureAwait(false);
                }

                if (instance.IsCompleted)
                {
                    // Another answer won the request and the run ended on it before it read this one: say who won (409).
                    var target = task?.RequestId ?? open?.Id;
                    return target is not null && await RefuseAsync(instance, target, cancellationToken).ConfigureAwait(false) is { Status: ResponseStatus.AlreadyAnswered } answered
                        ? answered
                        : new ResponseOutcome(ResponseStatus.RunFinished, $"Run '{runId}' finished ({ToRunStatus(instance.RuntimeStatus)}) before it applied the answer.", null);
                }
            }

            if (_time.GetElapsedTime(started) >= _responseTimeout)
            {
                return new ResponseOutcome(ResponseStatus.Buffered, "The answer was delivered; the run has not applied it yet.", open is null ? null : ToRequest(runId, open));
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPoll.Ticks));
        }
    }

    private async Task<ResponseOutcome> ToOutcomeAsync(string runId, ResponseOutcomeSummary outcome, RunCustomStatus status, CancellationToken cancellationToken, OpenRequestSummary? asked = null, HumanTaskRecord? askedTask = null)
    {
        HumanRequest? request = null;
        if (outcome.RequestId is { } id)
        {
            // The task table is written after the run applies the answer; until then the request as it was asked stands in.
            request = status.Open.FirstOrDefault(r => r.Id == id) is { } open
                ? ToRequest(runId, open)
                : askedTask is not null && string.Equals(askedTask.RequestId, id, StringComparison.Ordinal) ? askedTask.ToRequest()
                : await _tasks.GetAsync(runId, id, cancellationToken).ConfigureAwait(false) is { } task ? task.ToRequest()
                : asked is not null && string.Equals(asked.Id, id, StringComparison.Ordinal) ? ToRequest(runId, asked) : null;

            // The run's own account of the request is newer than the task table, which is written after it.
            if (request is not null)
            {
                request = request with
                {
                    Status = outcome.RequestStatus ?? request.Status,
                    Answer = outcome.Answer ?? request.Answer,
                    Respondent = outcome.Respondent ?? request.Respondent,
                    AnsweredVia = outcome.AnsweredVia ?? request.AnsweredVia,
                    ClosedAt = outcome.ClosedAt ?? request.ClosedAt,
                    Attempts = Math.Max(outcome.Attempts, request.Attempts),
                };
            }
        }

        return new ResponseOutcome(outcome.Status, outcome.Message, request);
    }

    private static RunStatusInfo ToInfo(OrchestrationMetadata instance, StatusOptions options)
    {
        var status = ToRunStatus(instance.RuntimeStatus);
        JsonElement? input = null;
        if (options.ShowInput && Parse(instance.SerializedInput) is { } rawInput)
        {
            input = RunContinuation.IsContinuation(rawInput)
                ? rawInput.Deserialize(DurableJsonContext.Default.RunContinuation)?.State.Input
                : rawInput;
        }

        var error = status switch
        {
            // The backend keeps a failure's message in the output when it has no failure details.
            RunStatus.Failed => instance.FailureDetails?.ErrorMessage ?? TextOf(instance.SerializedOutput),
            RunStatus.Terminated => TextOf(instance.SerializedOutput),
            _ => null,
        };
        return new RunStatusInfo
        {
            InstanceId = instance.InstanceId,
            Name = instance.Name,
            RuntimeStatus = status,
            CreatedTime = instance.CreatedAt,
            LastUpdatedTime = instance.LastUpdatedAt,
            Input = input,
            Output = options.ShowOutput && status == RunStatus.Completed ? Parse(instance.SerializedOutput) : null,
            Error = error,
            OpenRequests = status.IsTerminal() ? [] : [.. ReadCustomStatus(instance).Open.Select(o => ToRequest(instance.InstanceId, o))],
        };
    }

    private static string? TextOf(string? json)
    {
        try
        {
            return Parse(json) is { ValueKind: JsonValueKind.String } text ? text.GetString() : json;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static HumanRequest ToRequest(string runId, OpenRequestSummary open) => new()
    {
        Id = open.Id,
        RunId = runId,
        Node = open.Node,
        TokenId = string.Empty,
        Kind = open.Kind,
        Prompt = open.Prompt,
        Options = open.Options,
        Assignees = open.Assignees,
        EscalationLevel = open.EscalationLevel,
        Attempts = open.Attempts,
        OpenedAt = open.OpenedAt,
    };

    internal static RunStatus ToRunStatus(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => RunStatus.Pending,
        OrchestrationRuntimeStatus.Completed => RunStatus.Completed,
        OrchestrationRuntimeStatus.Failed => RunStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => RunStatus.Terminated,
        _ => RunStatus.Running,
    };

    private static OrchestrationRuntimeStatus ToRuntimeStatus(RunStatus status) => status switch
    {
        RunStatus.Pending => OrchestrationRuntimeStatus.Pending,
        RunStatus.Completed => OrchestrationRuntimeStatus.Completed,
        RunStatus.Failed => OrchestrationRuntimeStatus.Failed,
        RunStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        _ => OrchestrationRuntimeStatus.Running,
    };
}
