using System.Text.Json;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.History;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using Microsoft.DurableTask.Worker.Shims;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>
/// Timers of months, driven deterministically through DurableTask.Core's replay machinery: each episode replays the
/// recorded history with a fresh orchestrator (as the engine does) and the test plays the backend's part, recording
/// the actions as history and firing timers at their due times.
/// </summary>
public sealed class TimerReplayTests
{
    private static readonly DateTime OpenedAt = new(2026, 1, 5, 9, 0, 0, DateTimeKind.Utc);

    private static readonly CompiledGraph<Flow> Months = new StateGraph<Flow>("months", FlowJson.Default.Flow)
        .AddHumanNode("review", new TextStep<Flow>
        {
            Prompt = _ => "Any objection?",
            Default = "fallback",
            Timeout = new TimeoutPolicy { Reminders = [TimeSpan.FromDays(30), TimeSpan.FromDays(60)], After = TimeSpan.FromDays(90) },
            Apply = (s, a) => s with { Answer = a.Value, AnsweredBy = a.Respondent },
        })
        .SetEntryPoint("review")
        .AddEdge("review", Graph.End)
        .Compile();

    [Fact]
    public void GraphOrchestrator_RemindersAtThirtyAndSixtyDaysAndNinetyDayDeadline_ChainsTimersAndTakesTheDefault()
    {
        var driver = new Driver(Months);
        var episodes = driver.RunToCompletion(OpenedAt);

        // (a) The SDK splits each timer into segments of at most its MaximumTimerInterval (3 days by default); the last
        // segments land on the reminders and the deadline, plus the second a queue's whole-second delay needs to
        // never come early.
        var margin = TimeSpan.FromSeconds(1);
        var timers = episodes.SelectMany(e => e.Actions.OfType<CreateTimerOrchestratorAction>().Select(t => (e.Now, t.FireAt))).ToList();
        Assert.All(timers, t => Assert.InRange(t.FireAt - t.Now, TimeSpan.Zero, TimeSpan.FromDays(3)));
        var fireTimes = timers.Select(t => t.FireAt).ToHashSet();
        Assert.Contains(OpenedAt.AddDays(3), fireTimes);
        Assert.Contains(OpenedAt.AddDays(30) + margin, fireTimes);
        Assert.Contains(OpenedAt.AddDays(60) + margin, fireTimes);
        Assert.Contains(OpenedAt.AddDays(90) + margin, fireTimes);
        Assert.DoesNotContain(timers, t => t.FireAt > OpenedAt.AddDays(90) + margin);

        // (b) The fired timers became reminder events at 30 and 60 days, and the deadline took the default at 90, each
        // on the orchestration's clock when its timer fired (this backend fires a timer exactly at its time).
        var events = episodes.SelectMany(e => e.RecordedEvents).ToList();
        Assert.True(events.Count > 0, string.Join(" | ", episodes.SelectMany(e => e.Actions.OfType<ScheduleTaskOrchestratorAction>()).Take(2).Select(t => t.Input)));
        Assert.Equal(
            [OpenedAt.AddDays(30) + margin, OpenedAt.AddDays(60) + margin],
            events.Where(e => e.Kind == RunEventKind.ReminderDue).Select(e => e.At.UtcDateTime));
        Assert.Equal(OpenedAt.AddDays(90) + margin, Assert.Single(events, e => e.Kind == RunEventKind.TimedOut).At.UtcDateTime);
        var complete = Assert.IsType<OrchestrationCompleteOrchestratorAction>(episodes[^1].Actions.Single(a => a is OrchestrationCompleteOrchestratorAction));
        Assert.Equal(OrchestrationStatus.Completed, complete.OrchestrationStatus);
        var output = Months.FromJson(JsonDocument.Parse(complete.Result!).RootElement);
        Assert.Equal(("fallback", "system:timeout"), (output.Answer, output.AnsweredBy));
    }

    [Fact]
    public void GraphOrchestrator_ReplayedOverRecordedHistory_IssuesTheSameActions()
    {
        var driver = new Driver(Months);
        var episodes = driver.RunToCompletion(OpenedAt);
        Assert.True(episodes.Count > 10, $"Only {episodes.Count} episodes.");

        // Every episode already replays all earlier history (a mismatch would fail it as non-deterministic); here each
        // episode is executed again over the recorded history that preceded it, with a fresh orchestrator.
        foreach (var episode in episodes)
        {
            var again = Driver.Execute(Months, episode.PastEvents, episode.NewEvents);
            Assert.Equal(Describe(episode.Actions), Describe(again.Actions));
            Assert.Equal(episode.CustomStatus, again.CustomStatus);
        }
    }

    private static List<string> Describe(IEnumerable<OrchestratorAction> actions) =>
        [.. actions.Select(a => a switch
        {
            ScheduleTaskOrchestratorAction t => $"task {t.Id} {t.Name} {t.Input}",
            CreateTimerOrchestratorAction t => $"timer {t.Id} {t.FireAt:O}",
            OrchestrationCompleteOrchestratorAction c => $"complete {c.OrchestrationStatus} {c.Result}",
            _ => $"{a.GetType().Name} {a.Id}",
        })];

    private sealed record Episode(
        DateTime Now,
        IReadOnlyList<HistoryEvent> PastEvents,
        IReadOnlyList<HistoryEvent> NewEvents,
        IReadOnlyList<OrchestratorAction> Actions,
        string? CustomStatus,
        IReadOnlyList<RunEvent> RecordedEvents);

    /// <summary>Plays the backend: records actions as history, completes activities at once, fires the earliest timer.</summary>
    private sealed class Driver(CompiledGraph graph)
    {
        private readonly List<HistoryEvent> _history = [];
        private readonly Dictionary<int, DateTime> _timers = [];

        public List<Episode> RunToCompletion(DateTime start)
        {
            var episodes = new List<Episode>();
            var now = start;
            List<HistoryEvent> next =
            [
                new OrchestratorStartedEvent(-1) { Timestamp = now },
                new ExecutionStartedEvent(-1, graph.ToJsonInput())
                {
                    Name = graph.Name,
                    Version = string.Empty,
                    OrchestrationInstance = new OrchestrationInstance { InstanceId = "run-1", ExecutionId = "exec-1" },
                    Timestamp = now,
                },
            ];
            for (var i = 0; i < 200; i++)
            {
                var result = Execute(graph, _history, next);
                var recorded = new List<RunEvent>();
                var completions = new List<HistoryEvent>();
                foreach (var action in result.Actions)
                {
                    switch (action)
                    {
                        case ScheduleTaskOrchestratorAction task:
                            next.Add(new TaskScheduledEvent(task.Id, task.Name!, task.Version, task.Input));
                            recorded.AddRange(RecordedEvents(task));
                            completions.Add(new TaskCompletedEvent(-1, task.Id, "null"));
                            break;
                        case CreateTimerOrchestratorAction timer:
                            next.Add(new TimerCreatedEvent(timer.Id, timer.FireAt));
                            _timers[timer.Id] = timer.FireAt;
                            break;
                    }
                }

                episodes.Add(new Episode(now, [.. _history], [.. next.Where(e => e is OrchestratorStartedEvent or ExecutionStartedEvent or TaskCompletedEvent or TimerFiredEvent or EventRaisedEvent)], result.Actions.ToList(), result.CustomStatus, recorded));
                _history.AddRange(next);
                _history.Add(new OrchestratorCompletedEvent(-1));
                if (result.Actions.Any(a => a is OrchestrationCompleteOrchestratorAction))
                {
                    return episodes;
                }

                if (completions.Count == 0)
                {
                    // Nothing but timers outstanding: the backend fires the earliest.
                    var (id, fireAt) = _timers.OrderBy(t => t.Value).ThenBy(t => t.Key).First();
                    _timers.Remove(id);
                    now = fireAt;
                    completions.Add(new TimerFiredEvent(-1, fireAt) { TimerId = id });
                }

                next = [new OrchestratorStartedEvent(-1) { Timestamp = now }, .. completions];
            }

            throw new InvalidOperationException("The orchestration did not complete in 200 episodes.");
        }

        public static OrchestratorExecutionResult Execute(CompiledGraph graph, IEnumerable<HistoryEvent> past, IEnumerable<HistoryEvent> newEvents)
        {
            var state = new OrchestrationRuntimeState(past.ToList());
            foreach (var e in newEvents.Where(e => e is OrchestratorStartedEvent or ExecutionStartedEvent or TaskCompletedEvent or TimerFiredEvent or EventRaisedEvent))
            {
                state.AddEvent(e);
            }

            var orchestration = DurableTaskShimFactory.Default.CreateOrchestration(graph.Name, new GraphOrchestrator(graph));
            return new TaskOrchestrationExecutor(state, orchestration, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.SerializeExceptions).Execute();
        }

        private static List<RunEvent> RecordedEvents(ScheduleTaskOrchestratorAction task)
        {
            using var input = JsonDocument.Parse(task.Input!);
            // DurableTask.Core passes an activity's input as an array of its parameters.
            var root = input.RootElement.ValueKind == JsonValueKind.Array ? input.RootElement[0] : input.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                return RecordedEvents(task.Name!, root.GetString()!);
            }

            return RecordedEvents(task.Name!, root);
        }

        private static List<RunEvent> RecordedEvents(string name, string json)
        {
            using var document = JsonDocument.Parse(json);
            return RecordedEvents(name, document.RootElement);
        }

        private static List<RunEvent> RecordedEvents(string name, JsonElement root)
        {
            var record = name == HumanLoopTaskNames.Record ? root : root.TryGetProperty("records", out var r) ? r : default;
            if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("events", out var events))
            {
                return [];
            }

            return [.. events.EnumerateArray().Select(e => e.Deserialize(HumanLoop.Serialization.HumanLoopJsonContext.Default.RunEvent)!)];
        }
    }
}

internal static class GraphInput
{
    public static string ToJsonInput(this CompiledGraph graph) => ((CompiledGraph<Flow>)graph).ToJson(new Flow(Title: "months")).GetRawText();
}
