using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Runs;

/// <summary>One application of one message: a mutable working copy of a <see cref="RunState"/>, frozen by <see cref="Build"/>.</summary>
internal sealed class MachineStep
{
    private const string DefaultRespondent = "system:default";
    private const string TimeoutRespondent = "system:timeout";

    private readonly CompiledGraph _graph;
    private readonly RunState _original;
    private readonly DateTimeOffset _now;
    private readonly List<RunToken> _tokens;
    private readonly List<ParallelGroup> _groups;
    private readonly List<HumanRequest> _requests;
    private readonly List<RunTimer> _timers;
    private readonly List<HumanResponse> _buffered;
    private readonly List<KeyValuePair<string, ResponseOutcome>> _lateOutcomes = [];
    private readonly List<string> _applied;
    private readonly List<RunEffect> _effects = [];
    private RunStatus _status;
    private JsonElement? _input;
    private JsonElement? _output;
    private string? _error;
    private DateTimeOffset? _createdAt;
    private long _lastSequence;
    private long _counter;

    public MachineStep(CompiledGraph graph, RunState state, DateTimeOffset now)
    {
        _graph = graph;
        _original = state;
        _now = now;
        _tokens = [.. state.Tokens];
        _groups = [.. state.Groups];
        _requests = [.. state.Requests];
        _timers = [.. state.Timers];
        _buffered = [.. state.Buffered];
        _applied = [.. state.AppliedResponses];
        _status = state.Status;
        _input = state.Input;
        _output = state.Output;
        _error = state.Error;
        _createdAt = state.CreatedAt;
        _lastSequence = state.LastEventSequence;
        _counter = state.Counter;
    }

    private string RunId => _original.RunId;

    private bool Finished => _status.IsTerminal();

    public Transition Apply(RunMessage message) => message switch
    {
        StartRun start => Start(start),
        NodeCompleted completed => Completed(completed),
        NodeFailed failed => Failed(failed),
        HumanResponse response => Respond(response),
        TimerFired timer => Fire(timer),
        TerminateRun terminate => Terminate(terminate),
        AbortRun abort => FailFromOutside(abort.Reason),
        _ => throw new ArgumentException($"Unknown message type {message.GetType().Name}.", nameof(message)),
    };

    public Transition FailFromOutside(string error)
    {
        if (Finished)
        {
            return Unchanged();
        }

        if (_status == RunStatus.Pending)
        {
            _status = RunStatus.Running;
            _createdAt = _now;
        }

        Fail(error);
        return Build();
    }

    private Transition Start(StartRun message)
    {
        if (_status != RunStatus.Pending)
        {
            return Unchanged();
        }

        _status = RunStatus.Running;
        _input = message.Input;
        _createdAt = _now;
        var token = new RunToken(NextId("k"), _graph.EntryPoint, message.Input, TokenPhase.Running, 1, null, null, [], 0, null);
        _tokens.Add(token);
        Enter(token, _graph.EntryPoint);
        return Build();
    }

    private Transition Completed(NodeCompleted message)
    {
        var token = _tokens.Find(t => t.Phase == TokenPhase.Running && t.TaskId == message.TaskId);
        if (token is null || Finished)
        {
            return Unchanged();
        }

        Event(RunEventKind.NodeCompleted, token.Node);
        Advance(token, message.Output);
        return Build();
    }

    private Transition Failed(NodeFailed message)
    {
        var token = _tokens.Find(t => t.Phase == TokenPhase.Running && t.TaskId == message.TaskId);
        if (token is null || Finished)
        {
            return Unchanged();
        }

        var policy = _graph.GetRetryPolicy(token.Node);
        bool retry = message.Retryable && token.Attempt < policy.MaxAttempts;
        Event(RunEventKind.NodeFailed, token.Node, message: $"Attempt {token.Attempt} of {policy.MaxAttempts} failed: {message.Error}");
        if (!retry)
        {
            Fail($"Node '{token.Node}' failed after {token.Attempt} attempt{(token.Attempt == 1 ? "" : "s")}: {message.Error}");
            return Build();
        }

        var delay = policy.DelayAfter(token.Attempt);
        if (delay <= TimeSpan.Zero)
        {
            RunNodeAttempt(token, token.Attempt + 1);
        }
        else
        {
            Schedule(delay, TimerPurpose.Retry, token.Id, null, token.Attempt + 1);
            Replace(token, token with { Phase = TokenPhase.WaitingRetry, TaskId = null });
        }

        return Build();
    }

    private Transition Respond(HumanResponse message)
    {
        if (_applied.Contains(message.MessageId, StringComparer.Ordinal)
            || _buffered.Exists(b => string.Equals(b.MessageId, message.MessageId, StringComparison.Ordinal)))
        {
            return Unchanged(new ResponseOutcome(ResponseStatus.Duplicate, "This response was already applied.", FindById(message.Target)));
        }

        // A closed request explains itself best (who answered it, or where it went), even once the run has finished.
        var request = FindById(message.Target);
        if (request is not null && request.Status != HumanRequestStatus.Open)
        {
            return Unchanged(Refusal(request));
        }

        if (Finished)
        {
            return Unchanged(new ResponseOutcome(ResponseStatus.RunFinished, $"Run '{RunId}' has finished ({_status}); it takes no more answers.", request));
        }

        request ??= _requests.Find(r => r.Status == HumanRequestStatus.Open && string.Equals(r.Node, message.Target, StringComparison.OrdinalIgnoreCase));
        if (request is not null)
        {
            var outcome = Answer(request, message);
            return Build(outcome);
        }

        if (NamesFutureRequest(message.Target))
        {
            _buffered.Add(message);
            return Build(new ResponseOutcome(ResponseStatus.Buffered, $"No request '{message.Target}' is open yet; the answer is kept until it opens.", null));
        }

        var open = _requests.Where(r => r.Status == HumanRequestStatus.Open).Select(r => r.Id).ToList();
        return Unchanged(new ResponseOutcome(
            ResponseStatus.UnknownRequest,
            $"Run '{RunId}' has no request '{message.Target}' (open requests: {(open.Count == 0 ? "none" : string.Join(", ", open))}).",
            null));
    }

    private Transition Fire(TimerFired message)
    {
        var timer = _timers.Find(t => t.Id == message.TimerId);
        if (timer is null || Finished)
        {
            return Unchanged();
        }

        _timers.Remove(timer);
        var token = _tokens.Find(t => t.Id == timer.TokenId);
        var request = timer.RequestId is null ? null : _requests.Find(r => r.Id == timer.RequestId);
        switch (timer.Purpose)
        {
            case TimerPurpose.Reminder when token is not null && request is { Status: HumanRequestStatus.Open }:
                Event(RunEventKind.ReminderDue, request.Node, request.Id, message: $"Reminder {timer.Index + 1}: '{request.Prompt}' is still waiting.", data: Strings(request.Assignees));
                break;
            case TimerPurpose.Escalation when token is not null && request is { Status: HumanRequestStatus.Open }:
                Escalate(request, token, "no answer in time");
                break;
            case TimerPurpose.Deadline when token is { Phase: TokenPhase.WaitingHuman }:
                TimeOut(token);
                break;
            case TimerPurpose.Retry when token is { Phase: TokenPhase.WaitingRetry }:
                RunNodeAttempt(token, timer.Index);
                break;
        }

        return Build();
    }

    private Transition Terminate(TerminateRun message)
    {
        if (Finished)
        {
            return Unchanged();
        }

        CloseEverything();
        _status = RunStatus.Terminated;
        _error = message.Reason;
        Event(RunEventKind.Terminated, message: message.Reason);
        return Build();
    }

    // ---- moving tokens ----

    private void Enter(RunToken token, string node)
    {
        if (Finished)
        {
            return;
        }

        token = token with { Node = node };
        Replace(token, token);
        Event(RunEventKind.NodeStarted, node);
        if (_graph.IsHumanNode(node))
        {
            var human = _graph.GetHumanNode(node);
            string? deadline = human.Timeout?.After is { } after
                ? Schedule(after, TimerPurpose.Deadline, token.Id, null, 0).Id
                : null;
            OpenRequest(token with { DeadlineTimerId = deadline }, human, 0);
        }
        else
        {
            RunNodeAttempt(token, 1);
        }
    }

    private void RunNodeAttempt(RunToken token, int attempt)
    {
        var taskId = NextId("n");
        Replace(token, token with { Phase = TokenPhase.Running, Attempt = attempt, TaskId = taskId, RequestId = null });
        if (attempt > 1)
        {
            Event(RunEventKind.NodeStarted, token.Node, message: $"Attempt {attempt}");
        }

        _effects.Add(new RunNode(taskId, token.Node, attempt, token.State));
    }

    private void Advance(RunToken token, JsonElement state)
    {
        if (Finished)
        {
            return;
        }

        token = token with { State = state, TaskId = null, RequestId = null, DeadlineTimerId = null };
        var route = _graph.Route(token.Node, state);
        if (route.Error is { } error)
        {
            Fail(error);
            return;
        }

        if (route.Branches is { } branches)
        {
            var group = new ParallelGroup(NextId("g"), token.Node, route.Join!, state, [.. branches], [.. branches.Select(_ => (JsonElement?)null)], token.Branch);
            _groups.Add(group);
            _tokens.Remove(Find(token.Id));
            var children = branches.Select((b, i) => new RunToken(NextId("k"), b, state, TokenPhase.Running, 1, null, null, token.Groups.Add(group.Id), i, null)).ToList();
            _tokens.AddRange(children);
            foreach (var child in children)
            {
                Enter(child, child.Node);
            }

            return;
        }

        var target = route.Target!;
        var innermost = token.Groups.IsEmpty ? null : _groups.Find(g => g.Id == token.Groups[^1]);
        if (target == Graph.End)
        {
            if (innermost is not null)
            {
                Fail($"Branch '{innermost.Branches[token.Branch]}' of the fan-out from '{innermost.From}' reached END before its join '{innermost.Join}'.");
                return;
            }

            _tokens.Remove(Find(token.Id));
            if (_tokens.Count == 0)
            {
                Complete(state);
            }

            return;
        }

        if (innermost is not null && target == innermost.Join)
        {
            Arrive(token, innermost, state);
            return;
        }

        Enter(token, target);
    }

    private void Arrive(RunToken token, ParallelGroup group, JsonElement state)
    {
        _tokens.Remove(Find(token.Id));
        group = group with { Arrived = group.Arrived.SetItem(token.Branch, state) };
        _groups[_groups.FindIndex(g => g.Id == group.Id)] = group;
        if (group.Arrived.Any(a => a is null))
        {
            return;
        }

        _groups.Remove(group);
        JsonElement merged;
        try
        {
            merged = _graph.Merge(group.Join, group.BaseState, [.. group.Branches.Select((b, i) => (b, group.Arrived[i]!.Value))]);
        }
        catch (MergeConflictException e)
        {
            Fail(e.Message);
            return;
        }

        var joined = new RunToken(NextId("k"), group.Join, merged, TokenPhase.Running, 1, null, null, token.Groups.RemoveAt(token.Groups.Length - 1), group.ParentBranch, null);
        _tokens.Add(joined);
        Enter(joined, group.Join);
    }

    // ---- human requests ----

    private void OpenRequest(RunToken token, IHumanNode human, int level)
    {
        int occurrence = _requests.Count(r => r.Node == token.Node) + 1;
        var (prompt, presentation) = human.Present(token.State);
        var assignees = level == 0 ? human.Assignees : human.Timeout!.Escalations[level - 1].Assignees;
        var request = new HumanRequest
        {
            Id = $"{RunId}:{token.Node}:{occurrence}",
            RunId = RunId,
            Node = token.Node,
            TokenId = token.Id,
            Kind = human.Kind,
            Prompt = prompt,
            Options = [.. presentation.Options],
            Details = presentation.Details,
            Assignees = [.. assignees],
            Channel = human.Channel,
            MaxAttempts = human.MaxAttempts,
            EscalationLevel = level,
            OpenedAt = _now,
        };
        _requests.Add(request);
        Replace(token, token with { Phase = TokenPhase.WaitingHuman, TaskId = null, RequestId = request.Id });
        Event(RunEventKind.HumanInputRequested, token.Node, request.Id, message: prompt, data: Strings(request.Assignees));
        _effects.Add(new OpenHumanRequest(request));
        if (human.Timeout is { } timeout)
        {
            for (int i = 0; i < timeout.Reminders.Count; i++)
            {
                Schedule(timeout.Reminders[i], TimerPurpose.Reminder, token.Id, request.Id, i);
            }

            if (level < timeout.Escalations.Count)
            {
                Schedule(timeout.Escalations[level].After, TimerPurpose.Escalation, token.Id, request.Id, level);
            }
        }

        // Answers that arrived before the request opened are applied now, in arrival order (Durable Functions keeps
        // external events raised before the orchestration waits for them the same way).
        foreach (var early in _buffered.Where(b => Matches(b.Target, request)).ToList())
        {
            if (Finished || FindById(request.Id)!.Status != HumanRequestStatus.Open)
            {
                break;
            }

            _buffered.Remove(early);
            _lateOutcomes.Add(new(early.MessageId, Answer(FindById(request.Id)!, early)));
        }
    }

    private ResponseOutcome Answer(HumanRequest request, HumanResponse message)
    {
        _applied.Add(message.MessageId);
        var token = Find(request.TokenId);
        var human = _graph.GetHumanNode(request.Node);
        var check = human.Check(token.State, message.Answer);
        if (check.IsValid)
        {
            Accept(request, token, human, check.Normalized, message.Respondent, message);
            return new ResponseOutcome(ResponseStatus.Accepted, null, FindById(request.Id));
        }

        request = request with { Attempts = request.Attempts + 1, LastError = check.Error };
        ReplaceRequest(request);
        Input(RunEventKind.InputRejected, request, message, message.Respondent, check.Error, Raw(message.Answer));
        if (request.Attempts >= request.MaxAttempts)
        {
            Exhausted(request, token, human, check.Error!);
        }

        return new ResponseOutcome(ResponseStatus.Rejected, check.Error, FindById(request.Id));
    }

    private void Exhausted(HumanRequest request, RunToken token, IHumanNode human, string lastError)
    {
        switch (human.OnAttemptsExhausted)
        {
            case AttemptsExhaustedAction.TakeDefault:
                Accept(request, token, human, human.DefaultAnswer(), DefaultRespondent, null);
                break;
            case AttemptsExhaustedAction.Escalate:
                Escalate(request, token, $"{request.Attempts} invalid answers");
                break;
            default:
                Fail($"Human node '{request.Node}' received {request.Attempts} invalid answers (the last: {lastError}).");
                break;
        }
    }

    private void Accept(HumanRequest request, RunToken token, IHumanNode human, JsonElement answer, string respondent, HumanResponse? cause)
    {
        CloseRequest(request, HumanRequestStatus.Accepted, answer, respondent, cause?.Channel);
        CancelDeadline(token);
        Input(RunEventKind.InputAccepted, request, cause, respondent, null, answer);
        var state = human.Apply(token.State, answer, respondent, _now);
        Event(RunEventKind.NodeCompleted, request.Node);
        Advance(Find(token.Id), state);
    }

    private void Escalate(HumanRequest request, RunToken token, string why)
    {
        var human = _graph.GetHumanNode(request.Node);
        var chain = human.Timeout?.Escalations ?? [];
        if (request.EscalationLevel >= chain.Count)
        {
            Fail($"Human node '{request.Node}' could not escalate further ({why}); its escalation chain is exhausted.");
            return;
        }

        var next = chain[request.EscalationLevel].Assignees;
        CloseRequest(request, HumanRequestStatus.Escalated, null, null);
        Event(RunEventKind.Escalated, request.Node, request.Id, message: $"Escalated to {string.Join(", ", next)}: {why}.", data: Strings([.. next]));
        OpenRequest(Find(token.Id), human, request.EscalationLevel + 1);
    }

    private void TimeOut(RunToken token)
    {
        var human = _graph.GetHumanNode(token.Node);
        var timeout = human.Timeout!;
        var request = FindById(token.RequestId!)!;
        token = token with { DeadlineTimerId = null };
        Replace(token, token);
        Event(RunEventKind.TimedOut, token.Node, request.Id, message: $"No accepted answer within {timeout.After}.");
        switch (timeout.OnTimeout)
        {
            case TimeoutAction.TakeDefault:
                Accept(request, token, human, human.DefaultAnswer(), TimeoutRespondent, null);
                break;
            case TimeoutAction.Route:
                CloseRequest(request, HumanRequestStatus.TimedOut, null, null);
                Replace(token, token with { RequestId = null });
                Enter(Find(token.Id), timeout.TimedOutEdge!);
                break;
            default:
                CloseRequest(request, HumanRequestStatus.TimedOut, null, null);
                Fail($"Human node '{token.Node}' timed out after {timeout.After}.");
                break;
        }
    }

    private void CloseRequest(HumanRequest request, HumanRequestStatus status, JsonElement? answer, string? respondent, string? via = null)
    {
        ReplaceRequest(request with { Status = status, ClosedAt = _now, Answer = answer, Respondent = respondent, AnsweredVia = via });
        foreach (var timer in _timers.Where(t => t.RequestId == request.Id).ToList())
        {
            CancelTimer(timer);
        }

        _effects.Add(new CloseHumanRequest(request.Id, status));
    }

    private ResponseOutcome Refusal(HumanRequest request) => request.Status switch
    {
        HumanRequestStatus.Accepted => new(ResponseStatus.AlreadyAnswered, $"Request '{request.Id}' was already answered by {request.Respondent}{Via(request.AnsweredVia)} at {request.ClosedAt:O}.", request),
        HumanRequestStatus.Escalated => new(ResponseStatus.Expired, $"Request '{request.Id}' was escalated to other assignees at {request.ClosedAt:O}; {Successor(request)}.", request),
        HumanRequestStatus.TimedOut => new(ResponseStatus.Expired, $"Request '{request.Id}' timed out at {request.ClosedAt:O}.", request),
        _ => new(ResponseStatus.Expired, $"Request '{request.Id}' was cancelled at {request.ClosedAt:O} when the run ended.", request),
    };

    private static string Via(string? channel) => string.IsNullOrEmpty(channel) ? string.Empty : $" via {channel}";

    private string Successor(HumanRequest request) =>
        _requests.Find(r => r.TokenId == request.TokenId && r.Node == request.Node && r.EscalationLevel == request.EscalationLevel + 1) is { } next
            ? $"the request is now '{next.Id}'"
            : "it no longer takes answers";

    private bool NamesFutureRequest(string target)
    {
        if (_graph.Nodes.Any(n => _graph.IsHumanNode(n) && string.Equals(n, target, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // A request id, {runId}:{node}:{occurrence}, for an occurrence that has not opened yet.
        var prefix = RunId + ":";
        if (!target.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = target[prefix.Length..];
        int colon = rest.LastIndexOf(':');
        return colon > 0
            && int.TryParse(rest[(colon + 1)..], out int occurrence) && occurrence > 0
            && _graph.Nodes.Any(n => _graph.IsHumanNode(n) && string.Equals(n, rest[..colon], StringComparison.OrdinalIgnoreCase));
    }

    private static bool Matches(string target, HumanRequest request) =>
        string.Equals(target, request.Id, StringComparison.OrdinalIgnoreCase)
        || string.Equals(target, request.Node, StringComparison.OrdinalIgnoreCase);

    // ---- ending ----

    private void Complete(JsonElement output)
    {
        CloseEverything();
        _status = RunStatus.Completed;
        _output = output;
        Event(RunEventKind.Completed, data: output);
        _effects.Add(new CompleteRun(output));
    }

    private void Fail(string error)
    {
        if (Finished)
        {
            return;
        }

        CloseEverything();
        _status = RunStatus.Failed;
        _error = error;
        Event(RunEventKind.Failed, message: error);
        _effects.Add(new FailRun(error));
    }

    private void CloseEverything()
    {
        foreach (var request in _requests.Where(r => r.Status == HumanRequestStatus.Open).ToList())
        {
            CloseRequest(request, HumanRequestStatus.Cancelled, null, null);
        }

        foreach (var timer in _timers.ToList())
        {
            CancelTimer(timer);
        }

        _tokens.Clear();
        _groups.Clear();
        _buffered.Clear();
    }

    // ---- timers ----

    private RunTimer Schedule(TimeSpan delay, TimerPurpose purpose, string tokenId, string? requestId, int index)
    {
        var timer = new RunTimer(NextId("t"), _now + delay, purpose, tokenId, requestId, index);
        _timers.Add(timer);
        _effects.Add(new ScheduleTimer(timer.Id, timer.DueAt));
        return timer;
    }

    private void CancelDeadline(RunToken token)
    {
        if (token.DeadlineTimerId is { } id && _timers.Find(t => t.Id == id) is { } timer)
        {
            CancelTimer(timer);
        }
    }

    private void CancelTimer(RunTimer timer)
    {
        _timers.Remove(timer);
        _effects.Add(new CancelTimer(timer.Id));
    }

    // ---- bookkeeping ----

    private string NextId(string kind) => $"{RunId}:{kind}{++_counter}";

    private void Event(RunEventKind kind, string? node = null, string? requestId = null, string? respondent = null, string? message = null, JsonElement? data = null) =>
        _effects.Add(new AppendEvent(new RunEvent(++_lastSequence, _now, kind, node, requestId, respondent, message, data)));

    // An answer's event: who, through which channel and with what outcome each in its own field, for the audit trail.
    // A default taken by the run itself has no cause, hence no channel or message id.
    private void Input(RunEventKind kind, HumanRequest request, HumanResponse? cause, string respondent, string? message, JsonElement? data) =>
        _effects.Add(new AppendEvent(new RunEvent(++_lastSequence, _now, kind, request.Node, request.Id, respondent, message, data)
        {
            Channel = cause?.Channel,
            MessageId = cause?.MessageId,
            Outcome = kind == RunEventKind.InputAccepted ? ResponseStatus.Accepted : ResponseStatus.Rejected,
        }));

    private RunToken Find(string tokenId) => _tokens.Find(t => t.Id == tokenId)
        ?? throw new InvalidOperationException($"Run '{RunId}' has no token '{tokenId}'.");

    private void Replace(RunToken old, RunToken updated)
    {
        int index = _tokens.FindIndex(t => t.Id == old.Id);
        if (index < 0)
        {
            _tokens.Add(updated);
        }
        else
        {
            _tokens[index] = updated;
        }
    }

    private HumanRequest? FindById(string id) => _requests.Find(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    private void ReplaceRequest(HumanRequest request) => _requests[_requests.FindIndex(r => r.Id == request.Id)] = request;

    private static JsonElement Strings(ImmutableArray<string> values) =>
        JsonSerializer.SerializeToElement(values, Serialization.HumanLoopJsonContext.Default.ImmutableArrayString);

    // Rejected answers are kept in the audit trail as sent, but bounded so a hostile answer cannot bloat the log.
    private static JsonElement? Raw(JsonElement answer) =>
        answer.ValueKind == JsonValueKind.Undefined || answer.GetRawText().Length > 4096 ? null : answer;

    private Transition Unchanged(ResponseOutcome? outcome = null) => new(_original, [], outcome) { Changed = false };

    private Transition Build(ResponseOutcome? outcome = null)
    {
        var state = _original with
        {
            Status = _status,
            Input = _input,
            Output = _output,
            Error = _error,
            CreatedAt = _createdAt,
            UpdatedAt = _now,
            LastEventSequence = _lastSequence,
            Counter = _counter,
            Tokens = [.. _tokens],
            Groups = [.. _groups],
            Requests = [.. _requests],
            Timers = [.. _timers],
            Buffered = [.. _buffered],
            AppliedResponses = [.. _applied],
        };
        return new Transition(state, [.. _effects], outcome) { LateOutcomes = [.. _lateOutcomes] };
    }
}
