using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Human;

namespace HumanLoop.Graphs;

/// <summary>
/// Builds a LangGraph-style graph over an immutable state record: action nodes, human nodes, static and conditional
/// edges, parallel fan-out with a join, and an entry point. <see cref="Compile"/> checks the whole graph.
/// </summary>
/// <typeparam name="TState">The state: an immutable record, serialised with <see cref="StateType"/> at every step.</typeparam>
/// <example>
/// <code>
/// var graph = new StateGraph&lt;Review&gt;("review", MyJson.Default.Review)
///     .AddNode("draft", (s, ctx) => Task.FromResult(s with { Draft = "..." }))
///     .AddHumanNode("approve", new ApprovalStep&lt;Review&gt; { Prompt = s => "Publish?", Apply = (s, a) => s with { Approved = a.Value.Approved } })
///     .AddNode("publish", s => s with { Published = true })
///     .SetEntryPoint("draft")
///     .AddEdge("draft", "approve")
///     .AddConditionalEdges("approve", s => s.Approved ? "publish" : Graph.End)
///     .AddEdge("publish", Graph.End)
///     .Compile();
/// </code>
/// </example>
public sealed class StateGraph<TState>
    where TState : class
{
    private readonly List<NodeDefinition<TState>> _nodes = [];
    private readonly List<EdgeDefinition<TState>> _edges = [];
    private readonly Dictionary<string, MergeRule> _mergeRules = new(StringComparer.Ordinal);
    private readonly List<string> _builderProblems = [];
    private string? _entryPoint;

    /// <summary>Starts a graph.</summary>
    /// <param name="name">The graph's name, used to start runs of it.</param>
    /// <param name="stateType">The source-generated JSON contract of the state.</param>
    public StateGraph(string name, JsonTypeInfo<TState> stateType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(stateType);
        Name = name;
        StateType = stateType;
    }

    /// <summary>The graph's name.</summary>
    public string Name { get; }

    /// <summary>The state's JSON contract.</summary>
    public JsonTypeInfo<TState> StateType { get; }

    /// <summary>Adds an action node: an async function of the state and its context that returns the new state.</summary>
    /// <param name="name">The node's name, unique in the graph.</param>
    /// <param name="action">The node's work. It may run more than once (at-least-once execution), so make it idempotent.</param>
    /// <param name="retry">How failures are retried. The default runs the node once.</param>
    public StateGraph<TState> AddNode(string name, Func<TState, NodeContext, Task<TState>> action, RetryPolicy? retry = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        _nodes.Add(new NodeDefinition<TState>(name, action, null, retry ?? RetryPolicy.None));
        return this;
    }

    /// <summary>Adds a synchronous action node.</summary>
    /// <param name="name">The node's name, unique in the graph.</param>
    /// <param name="action">A function from the state to the new state.</param>
    /// <param name="retry">How failures are retried. The default runs the node once.</param>
    public StateGraph<TState> AddNode(string name, Func<TState, TState> action, RetryPolicy? retry = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return AddNode(name, (s, _) => Task.FromResult(action(s)), retry);
    }

    /// <summary>Adds a human node that waits for a person's answer.</summary>
    /// <param name="name">The node's name, unique in the graph.</param>
    /// <param name="step">The step: its kind, prompt, assignees, channel, validation, attempts and timeout policy.</param>
    public StateGraph<TState> AddHumanNode(string name, HumanStep<TState> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _nodes.Add(new NodeDefinition<TState>(name, null, step, RetryPolicy.None));
        return this;
    }

    /// <summary>Sets the first node of every run.</summary>
    public StateGraph<TState> SetEntryPoint(string node)
    {
        _entryPoint = node;
        return this;
    }

    /// <summary>Adds a static edge: after <paramref name="from"/>, go to <paramref name="to"/> (a node or <see cref="Graph.End"/>).</summary>
    public StateGraph<TState> AddEdge(string from, string to)
    {
        _edges.Add(new EdgeDefinition<TState>(from, [to], null, null, null));
        return this;
    }

    /// <summary>
    /// Adds a conditional edge: after <paramref name="from"/>, <paramref name="router"/> picks where to go. Without a
    /// <paramref name="pathMap"/> it returns a node name (or <see cref="Graph.End"/>); with one, it returns a key of the map.
    /// The router runs inside the run machine and must be deterministic.
    /// </summary>
    public StateGraph<TState> AddConditionalEdges(string from, Func<TState, string> router, IReadOnlyDictionary<string, string>? pathMap = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        var targets = pathMap?.Values.Distinct(StringComparer.Ordinal).ToArray();
        _edges.Add(new EdgeDefinition<TState>(from, targets, router, pathMap, null));
        return this;
    }

    /// <summary>
    /// Fans out: after <paramref name="from"/>, every node of <paramref name="branches"/> runs in parallel with a copy of
    /// the state, each branch following its own edges until it reaches <paramref name="join"/>. The join runs once, when
    /// every branch has arrived, with the branches' states merged by the rules set with <see cref="WithMerge"/>.
    /// </summary>
    public StateGraph<TState> AddFanOut(string from, IReadOnlyList<string> branches, string join)
    {
        ArgumentNullException.ThrowIfNull(branches);
        _edges.Add(new EdgeDefinition<TState>(from, [.. branches], null, null, join));
        return this;
    }

    /// <summary>Sets how parallel branches' changes to one state property are merged. Properties without a rule use <see cref="MergeRule.SingleWriter"/>.</summary>
    /// <param name="property">The property, as <c>s => s.Items</c>.</param>
    /// <param name="rule">The merge rule.</param>
    public StateGraph<TState> WithMerge<TValue>(Expression<Func<TState, TValue>> property, MergeRule rule)
    {
        ArgumentNullException.ThrowIfNull(property);
        if (property.Body is not MemberExpression { Member: PropertyInfo member })
        {
            throw new ArgumentException("The merge rule's property must be a property access such as s => s.Items.", nameof(property));
        }

        var json = StateType.Properties.FirstOrDefault(p => p.AttributeProvider is MemberInfo m && m.Name == member.Name);
        if (json is null)
        {
            _builderProblems.Add($"Merge rule: property '{member.Name}' is not serialised with the state, so it cannot be merged.");
            return this;
        }

        _mergeRules[json.Name] = rule;
        return this;
    }

    /// <summary>
    /// Checks the whole graph and freezes it. Throws <see cref="GraphValidationException"/> listing every problem:
    /// duplicate names, a missing or unknown entry point, unknown edge targets, unreachable nodes, nodes with no way
    /// out, END unreachable, fan-outs whose branches cannot reach their join, and misconfigured human steps.
    /// </summary>
    public CompiledGraph<TState> Compile()
    {
        var problems = new List<string>(_builderProblems);
        var nodes = new Dictionary<string, NodeDefinition<TState>>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            if (string.IsNullOrWhiteSpace(node.Name) || node.Name is Graph.End or Graph.Start)
            {
                problems.Add($"Node name '{node.Name}' is reserved or empty.");
            }
            else if (!nodes.TryAdd(node.Name, node))
            {
                problems.Add($"Duplicate node name '{node.Name}'.");
            }
        }

        bool IsTarget(string n) => n == Graph.End || nodes.ContainsKey(n);

        if (_entryPoint is null)
        {
            problems.Add("No entry point: call SetEntryPoint with the first node.");
        }
        else if (!nodes.ContainsKey(_entryPoint))
        {
            problems.Add($"Entry point '{_entryPoint}' is not a node of the graph.");
        }

        var outgoing = new Dictionary<string, EdgeDefinition<TState>>(StringComparer.Ordinal);
        foreach (var edge in _edges)
        {
            if (!nodes.ContainsKey(edge.From))
            {
                problems.Add($"Edge from unknown node '{edge.From}'.");
                continue;
            }

            if (!outgoing.TryAdd(edge.From, edge))
            {
                problems.Add($"Node '{edge.From}' has more than one outgoing edge; use AddFanOut for parallel branches or AddConditionalEdges to choose one.");
                continue;
            }

            foreach (var target in edge.Targets ?? [])
            {
                if (!IsTarget(target))
                {
                    problems.Add($"Edge from '{edge.From}' targets unknown node '{target}'.");
                }
            }

            if (edge.Join is { } join)
            {
                if (!nodes.ContainsKey(join))
                {
                    problems.Add($"Fan-out from '{edge.From}' joins at unknown node '{join}'.");
                }

                if (edge.Targets!.Count < 2)
                {
                    problems.Add($"Fan-out from '{edge.From}' needs at least two branches.");
                }
            }
        }

        foreach (var node in nodes.Values)
        {
            if (!outgoing.ContainsKey(node.Name))
            {
                problems.Add($"Node '{node.Name}' has no way out: add an edge from it (to another node or END).");
            }

            node.Human?.Validate(node.Name, problems, nodes.ContainsKey);
            node.Retry.Validate(node.Name, problems);
        }

        var graph = new CompiledGraph<TState>(Name, _entryPoint ?? "", StateType, nodes, outgoing, _mergeRules);
        if (_entryPoint is not null && nodes.ContainsKey(_entryPoint))
        {
            var reachable = graph.ReachableFrom(_entryPoint);
            foreach (var node in nodes.Keys.Where(n => !reachable.Contains(n)))
            {
                problems.Add($"Node '{node}' is unreachable from the entry point '{_entryPoint}'.");
            }

            if (!reachable.Contains(Graph.End))
            {
                problems.Add($"END is unreachable: no path from the entry point '{_entryPoint}' leads to END.");
            }

            foreach (var edge in outgoing.Values.Where(e => e.Join is not null && nodes.ContainsKey(e.Join)))
            {
                foreach (var branch in edge.Targets!.Where(nodes.ContainsKey))
                {
                    if (branch != edge.Join && !graph.ReachableFrom(branch).Contains(edge.Join!))
                    {
                        problems.Add($"Fan-out from '{edge.From}': branch '{branch}' cannot reach its join '{edge.Join}'.");
                    }
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new GraphValidationException(Name, problems);
        }

        return graph;
    }
}

/// <summary>A node as declared: an action or a human step, and its retry policy.</summary>
internal sealed record NodeDefinition<TState>(
    string Name,
    Func<TState, NodeContext, Task<TState>>? Action,
    HumanStep<TState>? Human,
    RetryPolicy Retry)
    where TState : class;

/// <summary>
/// A node's way out: static (one target), conditional (a router, optionally through a path map; targets null when
/// the router may name any node), or a fan-out (several targets and a join).
/// </summary>
internal sealed record EdgeDefinition<TState>(
    string From,
    IReadOnlyList<string>? Targets,
    Func<TState, string>? Router,
    IReadOnlyDictionary<string, string>? PathMap,
    string? Join)
    where TState : class;
