using HumanLoop.Graphs;

namespace HumanLoop.Durable.Graphs;

/// <summary>The registered graphs, by name.</summary>
internal sealed class GraphCatalog : IGraphCatalog
{
    private readonly Dictionary<string, CompiledGraph> _graphs = new(StringComparer.OrdinalIgnoreCase);

    public GraphCatalog(IEnumerable<GraphRegistration> registrations)
    {
        foreach (var registration in registrations)
        {
            // The last registration of a name wins, as with most DI registrations.
            _graphs[registration.Graph.Name] = registration.Graph;
        }
    }

    public IReadOnlyCollection<CompiledGraph> Graphs => _graphs.Values;

    public CompiledGraph? Find(string name) => _graphs.GetValueOrDefault(name);
}

/// <summary>One graph registered in DI.</summary>
/// <param name="Graph">The graph.</param>
internal sealed record GraphRegistration(CompiledGraph Graph);
