using HumanLoop.Graphs;

namespace HumanLoop.Durable.Graphs;

/// <summary>The graphs this process can run, registered with <see cref="DependencyInjection.DurableHumanLoopBuilder.AddGraph"/>.</summary>
public interface IGraphCatalog
{
    /// <summary>Gets every registered graph.</summary>
    IReadOnlyCollection<CompiledGraph> Graphs { get; }

    /// <summary>Finds a graph by name (case-insensitively); null when none has that name.</summary>
    /// <param name="name">The graph's name.</param>
    CompiledGraph? Find(string name);
}
