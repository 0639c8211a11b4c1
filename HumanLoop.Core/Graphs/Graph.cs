namespace HumanLoop.Graphs;

/// <summary>Well-known node names shared by every graph.</summary>
public static class Graph
{
    /// <summary>The terminal pseudo-node: an edge to <c>END</c> completes the run (or the branch's path).</summary>
    public const string End = "__end__";

    /// <summary>The pseudo-node before the entry point; used only when drawing a graph.</summary>
    public const string Start = "__start__";
}
