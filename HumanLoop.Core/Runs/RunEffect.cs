using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanLoop.Runs;

/// <summary>Work the run machine asks its host to do after a transition is committed.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$type")]
[JsonDerivedType(typeof(RunNode), "runNode")]
[JsonDerivedType(typeof(OpenHumanRequest), "openRequest")]
[JsonDerivedType(typeof(CloseHumanRequest), "closeRequest")]
[JsonDerivedType(typeof(ScheduleTimer), "scheduleTimer")]
[JsonDerivedType(typeof(CancelTimer), "cancelTimer")]
[JsonDerivedType(typeof(AppendEvent), "appendEvent")]
[JsonDerivedType(typeof(CompleteRun), "complete")]
[JsonDerivedType(typeof(FailRun), "fail")]
public abstract record RunEffect;

/// <summary>Execute a node and report <see cref="NodeCompleted"/> or <see cref="NodeFailed"/> with <paramref name="TaskId"/>.</summary>
/// <param name="TaskId">The id to report back with.</param>
/// <param name="Node">The node to execute.</param>
/// <param name="Attempt">The attempt number, from 1.</param>
/// <param name="State">The node's input state.</param>
public sealed record RunNode(string TaskId, string Node, int Attempt, JsonElement State) : RunEffect;

/// <summary>A human request opened: publish it to its channels.</summary>
/// <param name="Request">The request.</param>
public sealed record OpenHumanRequest(HumanRequest Request) : RunEffect;

/// <summary>A human request closed: withdraw it from its channels.</summary>
/// <param name="RequestId">The request's id.</param>
/// <param name="Status">How it closed.</param>
public sealed record CloseHumanRequest(string RequestId, HumanRequestStatus Status) : RunEffect;

/// <summary>Create a durable timer that reports <see cref="TimerFired"/> at <paramref name="DueAt"/>.</summary>
/// <param name="TimerId">The timer's id.</param>
/// <param name="DueAt">When it fires.</param>
public sealed record ScheduleTimer(string TimerId, DateTimeOffset DueAt) : RunEffect;

/// <summary>A durable timer is no longer needed (firing it anyway is harmless).</summary>
/// <param name="TimerId">The timer's id.</param>
public sealed record CancelTimer(string TimerId) : RunEffect;

/// <summary>Append an event to the run's event log.</summary>
/// <param name="Event">The event.</param>
public sealed record AppendEvent(RunEvent Event) : RunEffect;

/// <summary>The run completed.</summary>
/// <param name="Output">Its final state.</param>
public sealed record CompleteRun(JsonElement Output) : RunEffect;

/// <summary>The run failed.</summary>
/// <param name="Error">Why.</param>
public sealed record FailRun(string Error) : RunEffect;
