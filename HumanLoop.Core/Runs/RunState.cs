using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanLoop.Runs;

/// <summary>
/// Everything the run machine knows about one run. Immutable; <see cref="RunMachine.Apply"/> returns a new one.
/// Serialises to JSON with <see cref="Serialization.HumanLoopJsonContext"/> and round-trips exactly.
/// </summary>
public sealed record RunState
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The name of the graph the run executes.</summary>
    public required string Graph { get; init; }

    /// <summary>The run's status.</summary>
    public RunStatus Status { get; init; } = RunStatus.Pending;

    /// <summary>The input the run was started with.</summary>
    public JsonElement? Input { get; init; }

    /// <summary>The final state, once completed.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Why the run failed or was terminated.</summary>
    public string? Error { get; init; }

    /// <summary>When the start message was applied.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When a message last changed the run.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>The sequence number of the last run event; events are numbered 1, 2, 3... without gaps.</summary>
    public long LastEventSequence { get; init; }

    /// <summary>The counter ids are derived from (tasks, timers, tokens, groups).</summary>
    public long Counter { get; init; }

    /// <summary>Where the run's control currently is: one token per active path.</summary>
    public ImmutableArray<RunToken> Tokens { get; init; } = [];

    /// <summary>Open parallel fan-outs waiting for their branches to join (a branch that arrived is kept here as a state, not as a token).</summary>
    public ImmutableArray<ParallelGroup> Groups { get; init; } = [];

    /// <summary>Every human request the run has opened, open or closed (the closed ones explain refusals).</summary>
    public ImmutableArray<HumanRequest> Requests { get; init; } = [];

    /// <summary>Durable timers the run is waiting for.</summary>
    public ImmutableArray<RunTimer> Timers { get; init; } = [];

    /// <summary>Responses that arrived before the request they answer opened, kept until it does.</summary>
    public ImmutableArray<HumanResponse> Buffered { get; init; } = [];

    /// <summary>Ids of human-response messages already applied; applying one again changes nothing.</summary>
    public ImmutableArray<string> AppliedResponses { get; init; } = [];

    /// <summary>Creates the state of a run that has not started yet.</summary>
    public static RunState Create(string runId, string graph) => new() { RunId = runId, Graph = graph };

    /// <summary>The requests currently waiting for an answer.</summary>
    [JsonIgnore]
    public IEnumerable<HumanRequest> OpenRequests => Requests.Where(r => r.Status == HumanRequestStatus.Open);
}

/// <summary>What a token is doing.</summary>
public enum TokenPhase
{
    /// <summary>Its node is executing (a run-node effect is outstanding).</summary>
    Running,

    /// <summary>Its node failed and waits for the retry timer.</summary>
    WaitingRetry,

    /// <summary>Its human node waits for an answer.</summary>
    WaitingHuman,
}

/// <summary>One active path of a run: the node it is at and the state along that path.</summary>
/// <param name="Id">The token's id.</param>
/// <param name="Node">The node it is at.</param>
/// <param name="State">The graph state along this path.</param>
/// <param name="Phase">What it is doing.</param>
/// <param name="Attempt">The current attempt of its node (1 on first execution).</param>
/// <param name="TaskId">The id of the outstanding run-node effect, when running.</param>
/// <param name="RequestId">The id of the open human request, when waiting for a person.</param>
/// <param name="Groups">The parallel groups it is inside, innermost last.</param>
/// <param name="Branch">Its branch index in the innermost group.</param>
/// <param name="DeadlineTimerId">The timer that ends its human wait, when the step has a timeout.</param>
public sealed record RunToken(
    string Id,
    string Node,
    JsonElement State,
    TokenPhase Phase,
    int Attempt,
    string? TaskId,
    string? RequestId,
    ImmutableArray<string> Groups,
    int Branch,
    string? DeadlineTimerId);

/// <summary>A parallel fan-out waiting at its join.</summary>
/// <param name="Id">The group's id.</param>
/// <param name="From">The node that fanned out.</param>
/// <param name="Join">The node where the branches meet.</param>
/// <param name="BaseState">The state the branches started from; merging compares against it.</param>
/// <param name="Branches">The branch start nodes, in declaration order.</param>
/// <param name="Arrived">The states of the branches that reached the join, by branch index (null while pending).</param>
/// <param name="ParentBranch">The branch index, in its own enclosing group, of the token that fanned out.</param>
public sealed record ParallelGroup(
    string Id,
    string From,
    string Join,
    JsonElement BaseState,
    ImmutableArray<string> Branches,
    ImmutableArray<JsonElement?> Arrived,
    int ParentBranch);

/// <summary>Why a durable timer exists.</summary>
public enum TimerPurpose
{
    /// <summary>A reminder for an open request.</summary>
    Reminder,

    /// <summary>The next link of an escalation chain.</summary>
    Escalation,

    /// <summary>The end of a human step's wait.</summary>
    Deadline,

    /// <summary>The delay before a failed node's next attempt.</summary>
    Retry,
}

/// <summary>A durable timer.</summary>
/// <param name="Id">The timer's id (derived from the run id).</param>
/// <param name="DueAt">When it fires.</param>
/// <param name="Purpose">Why it exists.</param>
/// <param name="TokenId">The token it concerns.</param>
/// <param name="RequestId">The request it concerns, for reminders and escalation.</param>
/// <param name="Index">The reminder index or escalation level.</param>
public sealed record RunTimer(string Id, DateTimeOffset DueAt, TimerPurpose Purpose, string TokenId, string? RequestId, int Index);
