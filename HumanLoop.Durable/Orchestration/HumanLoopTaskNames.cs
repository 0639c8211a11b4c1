namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// The names HumanLoop registers on the Durable Task engine besides one orchestrator per graph (named as the graph):
/// its activities and the external event that carries an answer with its response id, respondent and channel.
/// </summary>
public static class HumanLoopTaskNames
{
    /// <summary>The activity that executes one attempt of a graph's action node.</summary>
    public const string RunNode = "HumanLoop_RunNode";

    /// <summary>The activity that records a run's events and opens and closes its human tasks.</summary>
    public const string Record = "HumanLoop_Record";

    /// <summary>
    /// The external event our channels raise: a <see cref="Runs.HumanResponse"/> as JSON. An event named as a human node
    /// or as an open request id is accepted too; its data is the bare answer, as Durable Functions' raiseEvent sends it.
    /// </summary>
    public const string ResponseEvent = "HumanLoop_Response";
}
