using System.Text.Json;

namespace HumanLoop.Human;

/// <summary>
/// A node that stops and asks a person. Each kind (<see cref="ApprovalStep{TState}"/>, <see cref="ChoiceStep{TState}"/>,
/// <see cref="TextStep{TState}"/>, <see cref="NumberStep{TState}"/>, <see cref="FormStep{TState}"/>,
/// <see cref="EditStep{TState}"/>, <see cref="FreeResponseStep{TState}"/>) adds its own rules and answer type.
/// </summary>
/// <typeparam name="TState">The graph's state.</typeparam>
public abstract class HumanStep<TState>
    where TState : class
{
    /// <summary>Builds the question shown to the person from the current state.</summary>
    public required Func<TState, string> Prompt { get; init; }

    /// <summary>Who is asked: <c>user:NAME</c> or <c>role:NAME</c> strings (see <see cref="Assignee"/>). The default is nobody in particular.</summary>
    public IReadOnlyList<string> Assignees { get; init; } = [];

    /// <summary>The channels that may answer. The default is <see cref="HumanChannel.Any"/>.</summary>
    public HumanChannel Channel { get; init; } = HumanChannel.Any;

    /// <summary>How many invalid answers a request accepts before <see cref="OnAttemptsExhausted"/> applies. The default is 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>What follows the last invalid answer. The default fails the run.</summary>
    public AttemptsExhaustedAction OnAttemptsExhausted { get; init; } = AttemptsExhaustedAction.FailRun;

    /// <summary>Reminders, escalation and the final timeout. The default (<see langword="null"/>) waits forever without reminders.</summary>
    public TimeoutPolicy? Timeout { get; init; }

    /// <summary>The kind of this step.</summary>
    public abstract HumanStepKind Kind { get; }

    internal abstract bool HasDefault { get; }

    internal abstract JsonElement DefaultAnswerJson();

    /// <summary>Parses and validates a raw answer; returns the normalised answer or the message to show.</summary>
    internal abstract AnswerCheck Check(TState state, JsonElement raw);

    internal abstract TState ApplyAnswer(TState state, JsonElement normalized, string respondent, DateTimeOffset answeredAt);

    /// <summary>Kind-specific facts a channel needs to render the request (options, limits, schema, the value to edit).</summary>
    internal virtual StepPresentation Present(TState state) => new([], null);

    internal virtual void Validate(string node, ICollection<string> problems, Func<string, bool> isNode)
    {
        if (MaxAttempts < 1)
        {
            problems.Add($"Human node '{node}': MaxAttempts must be at least 1 (was {MaxAttempts}).");
        }

        if (OnAttemptsExhausted == AttemptsExhaustedAction.TakeDefault && !HasDefault)
        {
            problems.Add($"Human node '{node}': OnAttemptsExhausted is TakeDefault but the step declares no Default.");
        }

        if (OnAttemptsExhausted == AttemptsExhaustedAction.Escalate && (Timeout?.Escalations.Count ?? 0) == 0)
        {
            problems.Add($"Human node '{node}': OnAttemptsExhausted is Escalate but the step's timeout policy has no escalation chain.");
        }

        if (Timeout is not { } timeout)
        {
            return;
        }

        if (timeout.Reminders.Any(r => r <= TimeSpan.Zero) || timeout.Escalations.Any(e => e.After <= TimeSpan.Zero) || timeout.After <= TimeSpan.Zero)
        {
            problems.Add($"Human node '{node}': reminder, escalation and timeout delays must be positive.");
        }

        if (timeout.Escalations.Any(e => e.Assignees.Count == 0))
        {
            problems.Add($"Human node '{node}': every escalation must name at least one assignee.");
        }

        if (timeout.After is null)
        {
            return;
        }

        switch (timeout.OnTimeout)
        {
            case TimeoutAction.TakeDefault when !HasDefault:
                problems.Add($"Human node '{node}': the timeout takes the default answer but the step declares no Default.");
                break;
            case TimeoutAction.Route when string.IsNullOrEmpty(timeout.TimedOutEdge):
                problems.Add($"Human node '{node}': the timeout routes to its 'timed out' edge but TimedOutEdge is not set.");
                break;
            case TimeoutAction.Route when !isNode(timeout.TimedOutEdge!):
                problems.Add($"Human node '{node}': 'timed out' edge targets unknown node '{timeout.TimedOutEdge}'.");
                break;
        }
    }
}

/// <summary>The result of checking a raw answer: a normalised answer, or an error message.</summary>
internal readonly record struct AnswerCheck(JsonElement Normalized, string? Error)
{
    public bool IsValid => Error is null;

    public static AnswerCheck Invalid(string error) => new(default, error);
}

/// <summary>What a channel needs besides the prompt to render a request.</summary>
internal readonly record struct StepPresentation(IReadOnlyList<string> Options, JsonElement? Details)
{
    /// <summary>A presentation with no options and the given kind-specific details.</summary>
    public static StepPresentation Of(System.Text.Json.Nodes.JsonObject details) =>
        new([], JsonSerializer.SerializeToElement(details, Serialization.HumanLoopJsonContext.Default.JsonObject));
}
