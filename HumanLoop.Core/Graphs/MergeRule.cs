namespace HumanLoop.Graphs;

/// <summary>
/// How the states of parallel branches are merged at their join. Merging compares each branch's state with the
/// state the branches started from, property by property (by the property's JSON name).
/// </summary>
public enum MergeRule
{
    /// <summary>
    /// The default: at most one branch may change the property. Two branches setting it to different values is a
    /// conflict that fails the run with a message naming the property and the branches.
    /// </summary>
    SingleWriter,

    /// <summary>
    /// The property is a list: each branch may append items, and the join receives the original items followed by
    /// every branch's appended items in the order the branches were declared. Removing or changing existing items is a conflict.
    /// </summary>
    Append,
}
