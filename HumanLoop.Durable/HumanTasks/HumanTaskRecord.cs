using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>One row of <c>{Hub}HumanTasks</c>: a human request, what it asks, and how it ended.</summary>
public sealed record HumanTaskRecord
{
    /// <summary>The run (orchestration instance) id.</summary>
    public required string RunId { get; init; }

    /// <summary>The request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The graph's name.</summary>
    public required string Graph { get; init; }

    /// <summary>The human node that asks.</summary>
    public required string Node { get; init; }

    /// <summary>The kind of step.</summary>
    public required HumanStepKind Kind { get; init; }

    /// <summary>The question.</summary>
    public required string Prompt { get; init; }

    /// <summary>The allowed answers, for choices and approvals.</summary>
    public ImmutableArray<string> Options { get; init; } = [];

    /// <summary>Kind-specific rendering facts (limits, pattern, schema, the value to edit).</summary>
    public JsonElement? Details { get; init; }

    /// <summary>Who is asked: <c>user:NAME</c> or <c>role:NAME</c>.</summary>
    public ImmutableArray<string> Assignees { get; init; } = [];

    /// <summary>Which channels may answer.</summary>
    public HumanChannel Channel { get; init; } = HumanChannel.Any;

    /// <summary>The request's state as last recorded.</summary>
    public HumanRequestStatus Status { get; init; }

    /// <summary>Its position in the escalation chain.</summary>
    public int EscalationLevel { get; init; }

    /// <summary>How many invalid answers it accepts before its step's exhausted rule applies.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>When it opened.</summary>
    public DateTimeOffset OpenedAt { get; init; }

    /// <summary>When its step's wait ends, when it has a timeout.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>When it closed.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The accepted answer, normalised.</summary>
    public JsonElement? Answer { get; init; }

    /// <summary>Who gave the accepted answer.</summary>
    public string? Respondent { get; init; }

    /// <summary>The channel the accepted answer came through.</summary>
    public string? AnsweredVia { get; init; }

    /// <summary>How it closed, or the last validation message.</summary>
    public string? LastError { get; init; }

    /// <summary>The state of the path that asks, which answers are checked against (absent when too large to keep).</summary>
    public JsonElement? State { get; init; }

    /// <summary>Whether this task is assigned to <paramref name="principal"/> (<c>user:NAME</c>) or to one of <paramref name="roles"/> (<c>role:NAME</c>).</summary>
    public bool IsAssignedTo(string principal, IEnumerable<string>? roles = null) =>
        Assignees.IsDefaultOrEmpty
        || Assignees.Contains(principal, StringComparer.OrdinalIgnoreCase)
        || (roles?.Any(r => Assignees.Contains(r, StringComparer.OrdinalIgnoreCase)) ?? false);

    /// <summary>The row of a request of a run of <paramref name="graph"/>, as it is now.</summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="request">The request.</param>
    /// <param name="channel">The channel its accepted answer came through, when known.</param>
    public static HumanTaskRecord From(string graph, HumanRequest request, string? channel)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new()
        {
            RunId = request.RunId,
            RequestId = request.Id,
            Graph = graph,
            Node = request.Node,
            Kind = request.Kind,
            Prompt = request.Prompt,
            Options = request.Options,
            Details = request.Details,
            Assignees = request.Assignees,
            Channel = request.Channel,
            Status = request.Status,
            EscalationLevel = request.EscalationLevel,
            MaxAttempts = request.MaxAttempts,
            OpenedAt = request.OpenedAt,
            ClosedAt = request.ClosedAt,
            Answer = request.Answer,
            Respondent = request.Respondent,
            AnsweredVia = channel ?? request.AnsweredVia,
            LastError = request.LastError,
        };
    }

    /// <summary>The request this row records (its token is not kept: empty).</summary>
    public HumanRequest ToRequest() => new()
    {
        Id = RequestId,
        RunId = RunId,
        Node = Node,
        TokenId = string.Empty,
        Kind = Kind,
        Prompt = Prompt,
        Options = Options,
        Details = Details,
        Assignees = Assignees,
        Channel = Channel,
        Status = Status,
        MaxAttempts = MaxAttempts,
        EscalationLevel = EscalationLevel,
        OpenedAt = OpenedAt,
        ClosedAt = ClosedAt,
        Answer = Answer,
        Respondent = Respondent,
        AnsweredVia = AnsweredVia,
        LastError = LastError,
    };
}
