using HumanLoop.Graphs;

namespace HumanLoop.Runs;

/// <summary>
/// The pure, deterministic heart of HumanLoop: <c>(RunState, Message, now) -> (RunState', Effects)</c>.
/// No I/O, no clock reads, no randomness: ids derive from the run id and a counter kept in the state. Hosts apply a
/// message, commit the new state with its effects, then carry the effects out.
/// </summary>
public static class RunMachine
{
    /// <summary>Applies one message to a run.</summary>
    /// <param name="graph">The run's compiled graph (its routers, human steps and merge rules run here and must be deterministic).</param>
    /// <param name="state">The run's current state.</param>
    /// <param name="message">The message to apply.</param>
    /// <param name="now">The time the message is applied; stamps events and sets timer due times.</param>
    /// <returns>
    /// The new state and the effects to carry out. A message already applied (or one that no longer concerns the run,
    /// such as a stale node result or a cancelled timer) returns the state unchanged, with no effects and
    /// <see cref="Transition.Changed"/> false.
    /// </returns>
    public static Transition Apply(CompiledGraph graph, RunState state, RunMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(message);
        if (!string.Equals(graph.Name, state.Graph, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Run '{state.RunId}' belongs to graph '{state.Graph}', not '{graph.Name}'.", nameof(graph));
        }

        try
        {
            return new MachineStep(graph, state, now).Apply(message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // User code (a router, prompt, validator or apply function) threw. It is deterministic, so failing the run
            // here gives the same result on every replay.
            var failed = new MachineStep(graph, state, now);
            return failed.FailFromOutside($"{message.GetType().Name} could not be applied: {e.GetType().Name}: {e.Message}");
        }
    }
}
