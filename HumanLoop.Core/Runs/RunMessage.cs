using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanLoop.Runs;

/// <summary>Something that happened to a run; the run machine applies messages one at a time.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$type")]
[JsonDerivedType(typeof(StartRun), "start")]
[JsonDerivedType(typeof(NodeCompleted), "nodeCompleted")]
[JsonDerivedType(typeof(NodeFailed), "nodeFailed")]
[JsonDerivedType(typeof(HumanResponse), "humanResponse")]
[JsonDerivedType(typeof(TimerFired), "timerFired")]
[JsonDerivedType(typeof(TerminateRun), "terminate")]
[JsonDerivedType(typeof(AbortRun), "abort")]
public abstract record RunMessage;

/// <summary>Starts a run with its input state.</summary>
/// <param name="Input">The initial graph state as JSON.</param>
public sealed record StartRun(JsonElement Input) : RunMessage;

/// <summary>A node's execution finished.</summary>
/// <param name="TaskId">The id of the run-node effect it answers.</param>
/// <param name="Output">The node's new state as JSON.</param>
public sealed record NodeCompleted(string TaskId, JsonElement Output) : RunMessage;

/// <summary>A node's execution threw.</summary>
/// <param name="TaskId">The id of the run-node effect it answers.</param>
/// <param name="Error">What went wrong.</param>
/// <param name="Retryable">Whether the node's retry policy allows another attempt for this error.</param>
public sealed record NodeFailed(string TaskId, string Error, bool Retryable = true) : RunMessage;

/// <summary>A person's answer (or an external event) for a human request.</summary>
/// <param name="MessageId">A unique id for this response; applying the same id twice changes nothing.</param>
/// <param name="Target">The request id, or the human node's name (compared case-insensitively), like an external event name.</param>
/// <param name="Answer">The raw answer.</param>
/// <param name="Respondent">Who answered, as authenticated by the channel.</param>
/// <param name="Channel">The channel it came through, for the audit trail.</param>
public sealed record HumanResponse(string MessageId, string Target, JsonElement Answer, string Respondent, string? Channel = null) : RunMessage;

/// <summary>A durable timer came due.</summary>
/// <param name="TimerId">The timer's id.</param>
public sealed record TimerFired(string TimerId) : RunMessage;

/// <summary>Stops a run.</summary>
/// <param name="Reason">Why, as recorded in the run's status.</param>
public sealed record TerminateRun(string Reason) : RunMessage;

/// <summary>
/// Fails a run from outside the graph: its host gave up on a message it could not process (a poison message), for
/// example. The run becomes <see cref="RunStatus.Failed"/> with <paramref name="Reason"/> as its error; a finished run
/// is left as it is.
/// </summary>
/// <param name="Reason">Why, as recorded in the run's status.</param>
public sealed record AbortRun(string Reason) : RunMessage;
