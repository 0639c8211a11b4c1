namespace HumanLoop.Graphs;

/// <summary>Thrown by <see cref="StateGraph{TState}.Compile"/> with every problem found in the graph at once.</summary>
public sealed class GraphValidationException : Exception
{
    /// <summary>Creates the exception for the named graph and its problems.</summary>
    public GraphValidationException(string graph, IReadOnlyList<string> problems)
        : base(Format(graph, problems))
    {
        Graph = graph;
        Problems = problems;
    }

    /// <summary>The graph that failed to compile.</summary>
    public string Graph { get; }

    /// <summary>Every problem found, each naming the nodes involved.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(string graph, IReadOnlyList<string> problems) =>
        $"Graph '{graph}' is invalid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{Environment.NewLine}"
        + string.Join(Environment.NewLine, problems.Select(p => " - " + p));
}
