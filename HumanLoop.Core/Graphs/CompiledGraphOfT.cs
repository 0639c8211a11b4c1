using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Human;

namespace HumanLoop.Graphs;

/// <summary>A checked, frozen <see cref="StateGraph{TState}"/>.</summary>
/// <typeparam name="TState">The graph's state.</typeparam>
public sealed class CompiledGraph<TState> : CompiledGraph
    where TState : class
{
    private readonly Dictionary<string, NodeDefinition<TState>> _nodes;
    private readonly Dictionary<string, EdgeDefinition<TState>> _outgoing;
    private readonly Dictionary<string, MergeRule> _mergeRules;
    private readonly Dictionary<string, IHumanNode> _human;
    private readonly string[] _order;
    private readonly Lazy<JsonTypeInfo<TState>?> _nullSafeStateType;

    internal CompiledGraph(
        string name,
        string entryPoint,
        JsonTypeInfo<TState> stateType,
        Dictionary<string, NodeDefinition<TState>> nodes,
        Dictionary<string, EdgeDefinition<TState>> outgoing,
        Dictionary<string, MergeRule> mergeRules)
        : base(name, entryPoint)
    {
        StateType = stateType;
        _nullSafeStateType = new(() => CreateNullSafeType(stateType));
        _nodes = nodes;
        _outgoing = outgoing;
        _mergeRules = new Dictionary<string, MergeRule>(mergeRules, StringComparer.Ordinal);
        _order = [.. nodes.Keys];
        _human = nodes.Values.Where(n => n.Human is not null)
            .ToDictionary(n => n.Name, n => (IHumanNode)new HumanNode(n.Human!, stateType), StringComparer.Ordinal);
    }

    /// <summary>The state's JSON contract.</summary>
    public JsonTypeInfo<TState> StateType { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Nodes => _order;

    /// <summary>Serialises a state as the runtimes persist it.</summary>
    public JsonElement ToJson(TState state) => JsonSerializer.SerializeToElement(state, StateType);

    /// <summary>Reads a persisted state.</summary>
    public TState FromJson(JsonElement state) =>
        state.Deserialize(StateType) ?? throw new JsonException($"Graph '{Name}': the state is null.");

    /// <inheritdoc/>
    /// <remarks>
    /// Besides the shape, a JSON <c>null</c> for a property or constructor parameter whose type is not annotated as
    /// nullable (<c>string Destination</c>, not <c>string? Destination</c>) is refused, as
    /// <see cref="JsonSerializerOptions.RespectNullableAnnotations"/> would refuse it, even when the state's own
    /// contract does not enforce its annotations: such a null would otherwise fail the run in its first node.
    /// </remarks>
    public override string? ValidateInput(JsonElement input)
    {
        try
        {
            if (input.Deserialize(StateType) is null)
            {
                return $"Graph '{Name}' needs an initial state as a JSON object; the input is null.";
            }
        }
        catch (JsonException e)
        {
            return $"The input is not a valid initial state for graph '{Name}': {e.Message}";
        }

        if (_nullSafeStateType.Value is not { } nullSafe)
        {
            return null;
        }

        try
        {
            // The contracts differ only in enforcing nullability, so whatever this refuses is a null where none is allowed.
            _ = input.Deserialize(nullSafe);
            return null;
        }
        catch (JsonException e)
        {
            return $"The input is not a valid initial state for graph '{Name}': {(string.IsNullOrEmpty(e.Path) ? "a property" : $"'{e.Path}'")} must not be null (its type is not nullable).";
        }
    }

    /// <inheritdoc/>
    public override bool IsHumanNode(string node) => _human.ContainsKey(node);

    /// <inheritdoc/>
    public override RetryPolicy GetRetryPolicy(string node) =>
        _nodes.TryGetValue(node, out var n) ? n.Retry : throw UnknownNode(node);

    /// <inheritdoc/>
    public override async Task<JsonElement> ExecuteNodeAsync(string node, JsonElement state, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_nodes.TryGetValue(node, out var definition) || definition.Action is null)
        {
            throw UnknownNode(node);
        }

        var output = await definition.Action(FromJson(state), context).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Node '{node}' returned a null state.");
        return ToJson(output);
    }

    internal override IHumanNode GetHumanNode(string node) =>
        _human.TryGetValue(node, out var human) ? human : throw UnknownNode(node);

    internal override Route Route(string node, JsonElement state)
    {
        var edge = _outgoing[node];
        if (edge.Join is not null)
        {
            return Graphs.Route.FanOut(edge.Targets!, edge.Join);
        }

        if (edge.Router is null)
        {
            return Graphs.Route.To(edge.Targets![0]);
        }

        var key = edge.Router(FromJson(state));
        if (edge.PathMap is { } map)
        {
            return map.TryGetValue(key ?? "", out var mapped)
                ? Graphs.Route.To(mapped)
                : Graphs.Route.Fail($"The router of node '{node}' returned '{key}', which is not a key of its path map ({string.Join(", ", map.Keys)}).");
        }

        return key is not null && (key == Graph.End || _nodes.ContainsKey(key))
            ? Graphs.Route.To(key)
            : Graphs.Route.Fail($"The router of node '{node}' returned '{key}', which is not a node of graph '{Name}' (nodes: {string.Join(", ", _order)}, or END).");
    }

    internal override JsonElement Merge(string join, JsonElement baseState, IReadOnlyList<(string Branch, JsonElement State)> branches)
    {
        var names = new List<string>();
        foreach (var p in baseState.EnumerateObject())
        {
            names.Add(p.Name);
        }

        foreach (var (_, s) in branches)
        {
            foreach (var p in s.EnumerateObject())
            {
                if (!names.Contains(p.Name))
                {
                    names.Add(p.Name);
                }
            }
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var name in names)
            {
                var merged = MergeProperty(join, name, baseState, branches);
                if (merged is { } value)
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement;
    }

    private JsonElement? MergeProperty(string join, string name, JsonElement baseState, IReadOnlyList<(string Branch, JsonElement State)> branches)
    {
        JsonElement? original = baseState.TryGetProperty(name, out var b) ? b : null;
        var rule = _mergeRules.GetValueOrDefault(name, MergeRule.SingleWriter);
        if (rule == MergeRule.Append)
        {
            var items = original is { ValueKind: JsonValueKind.Array } o ? o.EnumerateArray().ToList() : [];
            int prefix = items.Count;
            foreach (var (branch, state) in branches)
            {
                if (!state.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                var own = list.EnumerateArray().ToList();
                if (own.Count < prefix || !own.Take(prefix).Zip(items).All(pair => JsonElement.DeepEquals(pair.First, pair.Second)))
                {
                    throw new MergeConflictException(
                        $"Merge conflict at join '{join}': branch '{branch}' removed or changed existing items of '{name}', whose merge rule is Append.");
                }

                items.AddRange(own.Skip(prefix));
            }

            return JsonSerializer.SerializeToElement(items, Serialization.HumanLoopJsonContext.Default.ListJsonElement);
        }

        JsonElement? result = original;
        string? writer = null;
        foreach (var (branch, state) in branches)
        {
            JsonElement? value = state.TryGetProperty(name, out var v) ? v : null;
            if (SameValue(value, original))
            {
                continue;
            }

            if (writer is not null && !SameValue(value, result))
            {
                throw new MergeConflictException(
                    $"Merge conflict at join '{join}': branches '{writer}' and '{branch}' both set '{name}' to different values. "
                    + "Let one branch own it, or declare a merge rule with WithMerge.");
            }

            writer ??= branch;
            result = value;
        }

        return result;
    }

    private static bool SameValue(JsonElement? a, JsonElement? b) =>
        a is null || b is null ? a is null && b is null : JsonElement.DeepEquals(a.Value, b.Value);

    internal HashSet<string> ReachableFrom(string start)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var stack = new Stack<string>([start]);
        while (stack.TryPop(out var node))
        {
            foreach (var next in Successors(node).Where(seen.Add))
            {
                if (next != Graph.End)
                {
                    stack.Push(next);
                }
            }
        }

        return seen;
    }

    private IEnumerable<string> Successors(string node)
    {
        if (_outgoing.TryGetValue(node, out var edge))
        {
            // A router without a path map may name any node, as in LangGraph.
            var targets = edge.Targets ?? [.. _order, Graph.End];
            foreach (var t in targets)
            {
                yield return t;
            }
        }

        if (_nodes.TryGetValue(node, out var n) && n.Human?.Timeout?.TimedOutEdge is { } timedOut && _nodes.ContainsKey(timedOut))
        {
            yield return timedOut;
        }
    }

    /// <inheritdoc/>
    public override string ToMermaid()
    {
        var sb = new StringBuilder();
        sb.AppendLine("flowchart TD");
        sb.AppendLine($"    {Id(Graph.Start)}([start])");
        foreach (var name in _order)
        {
            var node = _nodes[name];
            sb.AppendLine(node.Human is { } human
                ? $"    {Id(name)}{{{{\"&#128100; {name} ({human.Kind.ToString().ToLowerInvariant()})\"}}}}:::human"
                : $"    {Id(name)}[\"{name}\"]");
        }

        sb.AppendLine($"    {Id(Graph.End)}([end])");
        sb.AppendLine($"    {Id(Graph.Start)} --> {Id(EntryPoint)}");
        foreach (var name in _order)
        {
            if (_outgoing.TryGetValue(name, out var edge))
            {
                if (edge.Join is not null)
                {
                    foreach (var branch in edge.Targets!)
                    {
                        sb.AppendLine($"    {Id(name)} ==>|parallel| {Id(branch)}");
                    }
                }
                else if (edge.Router is null)
                {
                    sb.AppendLine($"    {Id(name)} --> {Id(edge.Targets![0])}");
                }
                else if (edge.PathMap is { } map)
                {
                    foreach (var (key, target) in map)
                    {
                        sb.AppendLine($"    {Id(name)} -.->|{key}| {Id(target)}");
                    }
                }
                else
                {
                    foreach (var target in Successors(name).Where(t => t != name))
                    {
                        sb.AppendLine($"    {Id(name)} -.-> {Id(target)}");
                    }
                }
            }

            if (_nodes[name].Human?.Timeout is { TimedOutEdge: { } timedOut })
            {
                sb.AppendLine($"    {Id(name)} -.->|timed out| {Id(timedOut)}");
            }
        }

        sb.AppendLine("    classDef human fill:#fde68a,stroke:#b45309,color:#451a03");
        return sb.ToString();
    }

    // Mermaid ids must avoid reserved words such as 'end'; names are shown as labels.
    private static string Id(string node) => node switch
    {
        Graph.Start => "__start",
        Graph.End => "__end",
        _ => "n_" + new string(node.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()),
    };

    private InvalidOperationException UnknownNode(string node) => new($"Graph '{Name}' has no action node '{node}'.");

    // The same contract with nullable annotations enforced; null when the state's options enforce them already or
    // cannot be copied (a contract built without a resolver).
    private static JsonTypeInfo<TState>? CreateNullSafeType(JsonTypeInfo<TState> stateType)
    {
        if (stateType.Options.RespectNullableAnnotations || stateType.Options.TypeInfoResolver is null)
        {
            return null;
        }

        var options = new JsonSerializerOptions(stateType.Options) { RespectNullableAnnotations = true };
        return options.GetTypeInfo(typeof(TState)) as JsonTypeInfo<TState>;
    }

    private sealed class HumanNode(HumanStep<TState> step, JsonTypeInfo<TState> stateType) : IHumanNode
    {
        public HumanStepKind Kind => step.Kind;

        public HumanChannel Channel => step.Channel;

        public IReadOnlyList<string> Assignees => step.Assignees;

        public int MaxAttempts => step.MaxAttempts;

        public AttemptsExhaustedAction OnAttemptsExhausted => step.OnAttemptsExhausted;

        public TimeoutPolicy? Timeout => step.Timeout;

        public (string Prompt, StepPresentation Presentation) Present(JsonElement state)
        {
            var typed = Read(state);
            return (step.Prompt(typed), step.Present(typed));
        }

        public AnswerCheck Check(JsonElement state, JsonElement raw) => step.Check(Read(state), raw);

        public JsonElement DefaultAnswer() => step.DefaultAnswerJson();

        public JsonElement Apply(JsonElement state, JsonElement answer, string respondent, DateTimeOffset answeredAt) =>
            JsonSerializer.SerializeToElement(step.ApplyAnswer(Read(state), answer, respondent, answeredAt), stateType);

        private TState Read(JsonElement state) => state.Deserialize(stateType)!;
    }
}
