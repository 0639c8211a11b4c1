using System.Text.Json;
using HumanLoop.Human;

namespace HumanLoop.Graphs;

/// <summary>
/// A checked, frozen graph. The run machine and the runtimes work with graphs through this non-generic view; the
/// state crosses it as JSON, exactly as it is persisted.
/// </summary>
public abstract class CompiledGraph
{
    private protected CompiledGraph(string name, string entryPoint)
    {
        Name = name;
        EntryPoint = entryPoint;
    }

    /// <summary>The graph's name.</summary>
    public string Name { get; }

    /// <summary>The first node of every run.</summary>
    public string EntryPoint { get; }

    /// <summary>Every node's name, in declaration order.</summary>
    public abstract IReadOnlyList<string> Nodes { get; }

    /// <summary>Whether <paramref name="node"/> is a human node.</summary>
    public abstract bool IsHumanNode(string node);

    /// <summary>The retry policy of an action node.</summary>
    public abstract RetryPolicy GetRetryPolicy(string node);

    /// <summary>
    /// Executes an action node on a JSON state and returns its new state as JSON. Hosts call this for every
    /// run-node effect; exceptions are the node's failures.
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="state">The input state.</param>
    /// <param name="context">The run, attempt, services and the cancellation token that stops the node.</param>
    public abstract Task<JsonElement> ExecuteNodeAsync(string node, JsonElement state, NodeContext context);

    /// <summary>
    /// Checks that <paramref name="input"/> can be the initial state of a run: returns why not, or <see langword="null"/>
    /// when it can. Hosts call this before creating a run so input of the wrong shape is refused up front.
    /// </summary>
    public abstract string? ValidateInput(JsonElement input);

    /// <summary>
    /// Checks an answer against a human node's rules, as the run machine will when it applies it: returns the message
    /// to show when it is invalid, or <see langword="null"/> when it is valid. Channels call this before they deliver an
    /// answer, so a person learns at once what is wrong.
    /// </summary>
    /// <param name="node">The human node.</param>
    /// <param name="state">The state of the path that asks (validators may read it).</param>
    /// <param name="answer">The raw answer.</param>
    /// <exception cref="ArgumentException"><paramref name="node"/> is not a human node of this graph.</exception>
    public string? CheckAnswer(string node, JsonElement state, JsonElement answer)
    {
        if (!IsHumanNode(node))
        {
            throw new ArgumentException($"'{node}' is not a human node of graph '{Name}'.", nameof(node));
        }

        try
        {
            return GetHumanNode(node).Check(state, answer).Error;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A validator that throws rejects the answer, as the run machine's own check does.
            return $"The answer could not be checked: {e.Message}";
        }
    }

    /// <summary>Whether the node's retry policy retries <paramref name="exception"/>.</summary>
    public bool ShouldRetry(string node, Exception exception) => GetRetryPolicy(node).ShouldRetry(exception);

    /// <summary>Draws the graph as a Mermaid flowchart; human nodes are hexagons with the <c>human</c> class.</summary>
    public abstract string ToMermaid();

    internal abstract IHumanNode GetHumanNode(string node);

    internal abstract Route Route(string node, JsonElement state);

    /// <summary>Merges branch states at a join; throws <see cref="MergeConflictException"/> on a conflicting write.</summary>
    internal abstract JsonElement Merge(string join, JsonElement baseState, IReadOnlyList<(string Branch, JsonElement State)> branches);
}

/// <summary>Where control goes after a node.</summary>
internal readonly record struct Route(string? Target, IReadOnlyList<string>? Branches, string? Join, string? Error)
{
    public static Route To(string target) => new(target, null, null, null);

    public static Route FanOut(IReadOnlyList<string> branches, string join) => new(null, branches, join, null);

    public static Route Fail(string error) => new(null, null, null, error);
}

/// <summary>A human node seen through JSON: what the run machine needs of a <see cref="HumanStep{TState}"/>.</summary>
internal interface IHumanNode
{
    HumanStepKind Kind { get; }

    HumanChannel Channel { get; }

    IReadOnlyList<string> Assignees { get; }

    int MaxAttempts { get; }

    AttemptsExhaustedAction OnAttemptsExhausted { get; }

    TimeoutPolicy? Timeout { get; }

    (string Prompt, StepPresentation Presentation) Present(JsonElement state);

    AnswerCheck Check(JsonElement state, JsonElement raw);

    JsonElement DefaultAnswer();

    JsonElement Apply(JsonElement state, JsonElement answer, string respondent, DateTimeOffset answeredAt);
}

/// <summary>Parallel branches wrote conflicting values to one state property.</summary>
public sealed class MergeConflictException(string message) : Exception(message);
