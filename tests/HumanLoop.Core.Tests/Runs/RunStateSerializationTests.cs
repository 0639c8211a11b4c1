using System.Text.Json;
using CsCheck;
using HumanLoop.Runs;
using HumanLoop.Serialization;

namespace HumanLoop.Core.Tests.Runs;

/// <summary>
/// <see cref="RunState"/>, every <see cref="RunMessage"/> and every <see cref="RunEffect"/> serialise with
/// <see cref="HumanLoopJsonContext"/> and round-trip exactly: serialise, deserialise, serialise gives the same text,
/// and a run continued from a deserialised state behaves exactly like the original. The values are captured from
/// real transitions of the property-test graphs (hand-written runs that reach every rule, plus random runs).
/// </summary>
public sealed class RunStateSerializationTests
{
    private const int RandomRuns = 100;

    private static readonly HumanLoopJsonContext Json = HumanLoopJsonContext.Default;

    [Fact]
    public void Serialize_StatesCapturedMidRun_RoundTripExactly()
    {
        var states = Scenarios().SelectMany(run => run.Deliveries.Select(d => d.Transition.State)).Distinct().ToList();

        // The captured states exercise every part of RunState.
        Assert.Contains(states, s => s.Status == RunStatus.Pending && !s.Buffered.IsEmpty);
        Assert.Contains(states, s => s.Tokens.Any(t => !t.Groups.IsEmpty && t.Phase == TokenPhase.Running) && s.Groups.Any(g => g.Arrived.Any(a => a is null) && g.Arrived.Any(a => a is not null)));
        Assert.Contains(states, s => s.Tokens.Any(t => t.Phase == TokenPhase.WaitingRetry) && s.Timers.Any(t => t.Purpose == TimerPurpose.Retry));
        Assert.Contains(states, s => s.Tokens.Any(t => t.Phase == TokenPhase.WaitingHuman && t.DeadlineTimerId is not null) && s.Timers.Length >= 4);
        Assert.Contains(states, s => s.Requests.Any(r => r.Status == HumanRequestStatus.Open && r.Attempts > 0 && r.LastError is not null));
        Assert.Contains(states, s => s.Requests.Any(r => r.Status == HumanRequestStatus.Accepted && r.Answer is not null && r.Respondent is not null && r.ClosedAt is not null));
        foreach (var status in Enum.GetValues<HumanRequestStatus>())
        {
            Assert.Contains(states, s => s.Requests.Any(r => r.Status == status));
        }

        Assert.Contains(states, s => !s.AppliedResponses.IsEmpty);
        Assert.Contains(states, s => s.Status == RunStatus.Completed && s.Output is not null);
        Assert.Contains(states, s => s.Status == RunStatus.Failed && s.Error is not null);
        Assert.Contains(states, s => s.Status == RunStatus.Terminated && s.Error is not null);

        foreach (var state in states)
        {
            RoundTrip(state);
        }
    }

    [Fact]
    public void Deserialize_StateCapturedMidRun_ContinuesExactlyLikeTheOriginal()
    {
        foreach (var run in Scenarios())
        {
            AssertContinuesLikeTheOriginal(run);
        }
    }

    [Fact]
    public void Serialize_EveryRunMessageType_RoundTripsExactly()
    {
        var messages = Scenarios().SelectMany(run => run.Deliveries.Select(d => d.Message)).ToList();
        AssertCoversEveryType(typeof(RunMessage), messages);
        foreach (var message in messages)
        {
            RoundTrip(message);
        }
    }

    [Fact]
    public void Serialize_EveryRunEffectType_RoundTripsExactly()
    {
        var effects = Scenarios().SelectMany(run => run.Deliveries.SelectMany(d => d.Transition.Effects)).ToList();
        AssertCoversEveryType(typeof(RunEffect), effects);
        foreach (var kind in Enum.GetValues<RunEventKind>())
        {
            Assert.Contains(effects, e => e is AppendEvent { Event.Kind: var k } && k == kind);
        }

        foreach (var effect in effects)
        {
            RoundTrip(effect);
        }
    }

    [Fact]
    public void Serialize_EveryResponseOutcome_RoundTripsExactly()
    {
        var outcomes = Scenarios().SelectMany(run => run.Deliveries.Select(d => d.Transition.Response)).OfType<ResponseOutcome>().ToList();
        foreach (var status in Enum.GetValues<ResponseStatus>())
        {
            Assert.Contains(outcomes, o => o.Status == status);
        }

        foreach (var outcome in outcomes)
        {
            var text = JsonSerializer.Serialize(outcome, Json.ResponseOutcome);
            var back = JsonSerializer.Deserialize(text, Json.ResponseOutcome)!;
            Assert.Equal(text, JsonSerializer.Serialize(back, Json.ResponseOutcome));
            Assert.Equal(outcome.Status, back.Status);
            Assert.Equal(outcome.Message, back.Message);
            Assert.Equal(outcome.Request?.Id, back.Request?.Id);
        }
    }

    [Fact]
    public void Serialize_RandomRuns_StatesMessagesAndEffectsRoundTripExactly() =>
        RunScript.Generator.Sample(
            script =>
            {
                var run = PropertyRunDriver.Replay(script);
                foreach (var d in run.Deliveries)
                {
                    RoundTrip(d.Message);
                    foreach (var effect in d.Transition.Effects)
                    {
                        RoundTrip(effect);
                    }
                }

                AssertContinuesLikeTheOriginal(run);
            },
            iter: RandomRuns,
            print: script => PropertyRunDriver.Replay(script).Trace(script));

    /// <summary>Hand-written runs that between them reach every rule, status and effect.</summary>
    private static List<PropertyRunDriver> Scenarios()
    {
        // Buffered answers, retries with and without a timer, a rejected answer, a fan-out with a branch answered from
        // the buffer, reminders, escalation (where a buffered answer is rejected), the deadline taking the default.
        var full = new PropertyRunDriver(PropertyGraphs.DefaultOnTimeout);
        full.Respond("seat", PropertyGraphs.ValidAnswer("seat", 0), ResponseStatus.Buffered);
        full.Respond($"{PropertyGraphs.RunId}:approve:2", PropertyGraphs.InvalidAnswer("approve", 0), ResponseStatus.Buffered);
        full.Start();
        full.Fail(full.PendingTasks[0]);
        full.Fire(full.TimerOf(TimerPurpose.Retry));
        full.Complete(full.PendingTasks[0]);
        full.Respond("route", PropertyGraphs.InvalidAnswer("route", 0), ResponseStatus.Rejected);
        full.Respond($"{PropertyGraphs.RunId}:route:1", PropertyGraphs.ValidAnswer("route", 1), ResponseStatus.Accepted);
        full.Fail(Assert.Single(full.PendingTasks));
        full.Complete(Assert.Single(full.PendingTasks));
        full.Complete(Assert.Single(full.PendingTasks));
        full.Respond("nobody", PropertyGraphs.ValidAnswer("route", 0), ResponseStatus.UnknownRequest);
        full.Fire(full.TimerOf(TimerPurpose.Reminder));
        full.Fire(full.TimerOf(TimerPurpose.Escalation));
        full.Deliver(full.Deliveries[0].Message, "duplicate");
        full.Fire(full.TimerOf(TimerPurpose.Deadline));
        full.Complete(Assert.Single(full.PendingTasks));
        full.Respond($"{PropertyGraphs.RunId}:route:1", PropertyGraphs.ValidAnswer("route", 0), ResponseStatus.AlreadyAnswered);
        full.Respond("approve", PropertyGraphs.ValidAnswer("approve", 0), ResponseStatus.RunFinished);

        // The deadline follows the timed-out edge; a late answer to the timed-out request expires; a reject.
        var timedOut = new PropertyRunDriver(PropertyGraphs.RouteOnTimeout);
        timedOut.Start();
        timedOut.Complete(timedOut.PendingTasks[0]);
        timedOut.Respond("ROUTE", PropertyGraphs.ValidAnswer("route", 2), ResponseStatus.Accepted);
        timedOut.Respond("seat", PropertyGraphs.ValidAnswer("seat", 1), ResponseStatus.Accepted);
        timedOut.Complete(timedOut.PendingTasks[0]);
        timedOut.Complete(timedOut.PendingTasks[0]);
        timedOut.Wait(TimeSpan.FromMinutes(5));
        timedOut.Fire(timedOut.TimerOf(TimerPurpose.Deadline));
        timedOut.Respond($"{PropertyGraphs.RunId}:approve:1", PropertyGraphs.ValidAnswer("approve", 2), ResponseStatus.Expired);
        timedOut.Complete(Assert.Single(timedOut.PendingTasks));

        // Terminated while a request is open (it is cancelled).
        var terminated = new PropertyRunDriver(PropertyGraphs.DefaultOnTimeout);
        terminated.Start();
        terminated.Complete(terminated.PendingTasks[0]);
        terminated.Terminate();

        // A node fails without retry.
        var failed = new PropertyRunDriver(PropertyGraphs.RouteOnTimeout);
        failed.Start();
        failed.Fail(failed.PendingTasks[0], retryable: false);

        // Aborted from outside in the middle of a fan-out.
        var aborted = new PropertyRunDriver(PropertyGraphs.DefaultOnTimeout);
        aborted.Start();
        aborted.Complete(aborted.PendingTasks[0]);
        aborted.Respond("route", PropertyGraphs.ValidAnswer("route", 0), ResponseStatus.Accepted);
        aborted.Abort();

        List<PropertyRunDriver> runs = [full, timedOut, terminated, failed, aborted];
        foreach (var d in runs.SelectMany(r => r.Deliveries).Where(d => d.Expected is not null))
        {
            Assert.True(d.Expected == d.Transition.Response!.Status, $"Scenario step {d}: expected {d.Expected}.");
        }

        Assert.Equal([RunStatus.Completed, RunStatus.Completed, RunStatus.Terminated, RunStatus.Failed, RunStatus.Failed], runs.Select(r => r.State.Status));
        return runs;
    }

    /// <summary>Every state before a delivery, deserialised, gives exactly the same transition as the original.</summary>
    private static void AssertContinuesLikeTheOriginal(PropertyRunDriver run)
    {
        foreach (var d in run.Deliveries)
        {
            var copy = RoundTrip(d.Before);
            var expected = RunMachine.Apply(run.Graph, d.Before, d.Message, d.Now);
            var actual = RunMachine.Apply(run.Graph, copy, d.Message, d.Now);
            Assert.True(expected.Changed == actual.Changed, $"#{d.Index}: Changed differs after a round trip.");
            Assert.Equal(Text(expected.State), Text(actual.State));
            Assert.Equal(expected.Effects.Select(Text), actual.Effects.Select(Text));
            Assert.Equal(
                expected.Response is null ? null : JsonSerializer.Serialize(expected.Response, Json.ResponseOutcome),
                actual.Response is null ? null : JsonSerializer.Serialize(actual.Response, Json.ResponseOutcome));
        }
    }

    private static void AssertCoversEveryType<T>(Type root, IEnumerable<T> values)
    {
        var types = root.Assembly.GetTypes().Where(t => t.IsSubclassOf(root) && !t.IsAbstract).Select(t => t.Name).Order(StringComparer.Ordinal);
        Assert.Equal(types, values.Select(v => v!.GetType().Name).Distinct().Order(StringComparer.Ordinal));
    }

    private static RunState RoundTrip(RunState state)
    {
        var text = Text(state);
        var back = JsonSerializer.Deserialize(text, Json.RunState)!;
        Assert.Equal(text, Text(back));
        AssertSameState(state, back);
        return back;
    }

    private static void RoundTrip(RunMessage message)
    {
        var text = JsonSerializer.Serialize(message, Json.RunMessage);
        Assert.StartsWith("{\"$type\":", text, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize(text, Json.RunMessage)!;
        Assert.IsType(message.GetType(), back);
        Assert.Equal(text, JsonSerializer.Serialize(back, Json.RunMessage));
        switch (message, back)
        {
            case (NodeCompleted a, NodeCompleted b):
                Assert.Equal(a.TaskId, b.TaskId);
                Assert.True(JsonElement.DeepEquals(a.Output, b.Output));
                break;
            case (HumanResponse a, HumanResponse b):
                Assert.Equal((a.MessageId, a.Target, a.Respondent, a.Channel), (b.MessageId, b.Target, b.Respondent, b.Channel));
                Assert.True(JsonElement.DeepEquals(a.Answer, b.Answer));
                break;
            case (StartRun a, StartRun b):
                Assert.True(JsonElement.DeepEquals(a.Input, b.Input));
                break;
            default:
                Assert.Equal(message, back);
                break;
        }
    }

    private static void RoundTrip(RunEffect effect)
    {
        var text = Text(effect);
        Assert.StartsWith("{\"$type\":", text, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize(text, Json.RunEffect)!;
        Assert.IsType(effect.GetType(), back);
        Assert.Equal(text, Text(back));
        switch (effect, back)
        {
            case (RunNode a, RunNode b):
                Assert.Equal((a.TaskId, a.Node, a.Attempt), (b.TaskId, b.Node, b.Attempt));
                Assert.True(JsonElement.DeepEquals(a.State, b.State));
                break;
            case (OpenHumanRequest a, OpenHumanRequest b):
                AssertSameRequest(a.Request, b.Request);
                break;
            case (AppendEvent a, AppendEvent b):
                Assert.Equal(a.Event with { Data = null }, b.Event with { Data = null });
                Assert.True(a.Event.At.EqualsExact(b.Event.At));
                AssertSameJson(a.Event.Data, b.Event.Data);
                break;
            case (ScheduleTimer a, ScheduleTimer b):
                Assert.Equal(a, b);
                Assert.True(a.DueAt.EqualsExact(b.DueAt));
                break;
            case (CompleteRun a, CompleteRun b):
                Assert.True(JsonElement.DeepEquals(a.Output, b.Output));
                break;
            default:
                Assert.Equal(effect, back);
                break;
        }
    }

    private static void AssertSameState(RunState a, RunState b)
    {
        Assert.Equal((a.RunId, a.Graph, a.Status, a.Error, a.LastEventSequence, a.Counter), (b.RunId, b.Graph, b.Status, b.Error, b.LastEventSequence, b.Counter));
        AssertSameTime(a.CreatedAt, b.CreatedAt);
        AssertSameTime(a.UpdatedAt, b.UpdatedAt);
        AssertSameJson(a.Input, b.Input);
        AssertSameJson(a.Output, b.Output);

        Assert.Equal(a.Tokens.Length, b.Tokens.Length);
        foreach (var (x, y) in a.Tokens.Zip(b.Tokens))
        {
            Assert.Equal((x.Id, x.Node, x.Phase, x.Attempt, x.TaskId, x.RequestId, x.Branch, x.DeadlineTimerId), (y.Id, y.Node, y.Phase, y.Attempt, y.TaskId, y.RequestId, y.Branch, y.DeadlineTimerId));
            Assert.Equal<string>(x.Groups, y.Groups);
            Assert.True(JsonElement.DeepEquals(x.State, y.State));
        }

        Assert.Equal(a.Groups.Length, b.Groups.Length);
        foreach (var (x, y) in a.Groups.Zip(b.Groups))
        {
            Assert.Equal((x.Id, x.From, x.Join, x.ParentBranch), (y.Id, y.From, y.Join, y.ParentBranch));
            Assert.Equal<string>(x.Branches, y.Branches);
            Assert.True(JsonElement.DeepEquals(x.BaseState, y.BaseState));
            Assert.Equal(x.Arrived.Length, y.Arrived.Length);
            foreach (var (p, q) in x.Arrived.Zip(y.Arrived))
            {
                // A branch that has not arrived must stay null (not a JSON null element), or the join would fire early.
                AssertSameJson(p, q);
            }
        }

        Assert.Equal(a.Requests.Length, b.Requests.Length);
        foreach (var (x, y) in a.Requests.Zip(b.Requests))
        {
            AssertSameRequest(x, y);
        }

        Assert.Equal<RunTimer>(a.Timers, b.Timers);
        Assert.All(a.Timers.Zip(b.Timers), pair => Assert.True(pair.First.DueAt.EqualsExact(pair.Second.DueAt)));

        Assert.Equal(a.Buffered.Length, b.Buffered.Length);
        foreach (var (x, y) in a.Buffered.Zip(b.Buffered))
        {
            Assert.Equal((x.MessageId, x.Target, x.Respondent, x.Channel), (y.MessageId, y.Target, y.Respondent, y.Channel));
            Assert.True(JsonElement.DeepEquals(x.Answer, y.Answer));
        }

        Assert.Equal<string>(a.AppliedResponses, b.AppliedResponses);
    }

    private static void AssertSameRequest(HumanRequest x, HumanRequest y)
    {
        Assert.Equal(
            (x.Id, x.RunId, x.Node, x.TokenId, x.Kind, x.Prompt, x.Channel, x.Status, x.Attempts, x.MaxAttempts, x.EscalationLevel, x.Respondent, x.LastError),
            (y.Id, y.RunId, y.Node, y.TokenId, y.Kind, y.Prompt, y.Channel, y.Status, y.Attempts, y.MaxAttempts, y.EscalationLevel, y.Respondent, y.LastError));
        Assert.Equal<string>(x.Options, y.Options);
        Assert.Equal<string>(x.Assignees, y.Assignees);
        AssertSameTime(x.OpenedAt, y.OpenedAt);
        AssertSameTime(x.ClosedAt, y.ClosedAt);
        AssertSameJson(x.Details, y.Details);
        AssertSameJson(x.Answer, y.Answer);
    }

    private static void AssertSameTime(DateTimeOffset? a, DateTimeOffset? b) =>
        Assert.True(a is null ? b is null : b is not null && a.Value.EqualsExact(b.Value), $"Times differ: {a:O} and {b:O}.");

    private static void AssertSameJson(JsonElement? a, JsonElement? b) =>
        Assert.True(a is null ? b is null : b is not null && JsonElement.DeepEquals(a.Value, b.Value), $"JSON differs: {a?.GetRawText() ?? "(none)"} and {b?.GetRawText() ?? "(none)"}.");

    private static string Text(RunState state) => JsonSerializer.Serialize(state, Json.RunState);

    private static string Text(RunEffect effect) => JsonSerializer.Serialize(effect, Json.RunEffect);
}
