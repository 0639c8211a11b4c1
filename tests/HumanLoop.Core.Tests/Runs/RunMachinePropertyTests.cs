using System.Collections.Concurrent;
using CsCheck;
using HumanLoop.Runs;

namespace HumanLoop.Core.Tests.Runs;

/// <summary>
/// Properties of <see cref="RunMachine.Apply"/> over random message sequences built from what the run asked for
/// (node results in any order, valid and invalid answers by request id or node name, timers in any order), mixed with
/// duplicates, forged duplicates, early, late, unknown and stale messages. Each sequence ends by giving the run what it
/// needs, then probing the finished run. A failing property prints the shrunk script and every delivery.
/// </summary>
public sealed class RunMachinePropertyTests
{
    private const int Iterations = 300;

    private static readonly RunEventKind[] TerminalKinds = [RunEventKind.Completed, RunEventKind.Failed, RunEventKind.Terminated];

    private static readonly ResponseStatus[] Refusals =
        [ResponseStatus.Duplicate, ResponseStatus.UnknownRequest, ResponseStatus.AlreadyAnswered, ResponseStatus.Expired, ResponseStatus.RunFinished];

    [Fact]
    public void Apply_RandomMessageSequences_EventSequenceNumbersAreGapless() => Check(run =>
    {
        long expected = 0;
        foreach (var d in run.Deliveries)
        {
            foreach (var e in d.Transition.Events)
            {
                Assert.True(++expected == e.Sequence, $"{d}: event {e.Kind} has sequence {e.Sequence}, expected {expected}.");
                Assert.Equal(d.Now, e.At);
            }

            Assert.True(expected == d.Transition.State.LastEventSequence, $"{d}: LastEventSequence {d.Transition.State.LastEventSequence}, expected {expected}.");
        }

        Assert.Equal(expected, run.State.LastEventSequence);
    });

    [Fact]
    public void Apply_MessageAlreadyApplied_ChangesNothing() => Check(run =>
    {
        foreach (var d in run.Deliveries)
        {
            if (d.Redelivery)
            {
                AssertUnchanged(d.Before, d.Transition, $"{d} (delivered again)");
            }
            else
            {
                // Applied again at once, and an hour later: nothing changes either way.
                AssertUnchanged(d.Transition.State, RunMachine.Apply(run.Graph, d.Transition.State, d.Message, d.Now), $"{d} re-applied at once");
                AssertUnchanged(d.Transition.State, RunMachine.Apply(run.Graph, d.Transition.State, d.Message, d.Now.AddHours(1)), $"{d} re-applied later");
            }
        }

        foreach (var message in run.FirstDeliveries)
        {
            AssertUnchanged(run.State, RunMachine.Apply(run.Graph, run.State, message, run.Now), PropertyRunDriver.Describe(message) + " re-applied to the final state");
        }
    });

    [Fact]
    public void Apply_RandomMessageSequences_NoAcceptedAnswerIsLostOrAppliedTwice() => Check(run =>
    {
        var opened = run.Opened.ToDictionary(r => r.Id);
        var accepted = run.Deliveries
            .SelectMany(d => d.Transition.Events.Where(e => e.Kind == RunEventKind.InputAccepted).Select(e => (Delivery: d, Event: e)))
            .ToList();

        // Each InputAccepted answers exactly one request the run opened, and no request is accepted twice.
        foreach (var (d, e) in accepted)
        {
            Assert.True(e.RequestId is not null && opened.ContainsKey(e.RequestId), $"{d}: InputAccepted for unknown request '{e.RequestId}'.");
            Assert.Equal(opened[e.RequestId].Node, e.Node);
            Assert.True(e.Data is not null, $"{d}: InputAccepted without the answer.");
        }

        var twice = accepted.GroupBy(a => a.Event.RequestId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"Requests accepted more than once: {string.Join(", ", twice)}.");
        Assert.Equal(
            accepted.Select(a => a.Event.RequestId!).Order(StringComparer.Ordinal),
            run.State.Requests.Where(r => r.Status == HumanRequestStatus.Accepted).Select(r => r.Id).Order(StringComparer.Ordinal));

        // Every person's InputAccepted comes from exactly one fresh response, reported Accepted then or Buffered before.
        var fresh = run.Deliveries.Where(d => !d.Redelivery && d.Message is HumanResponse).ToDictionary(d => ((HumanResponse)d.Message).Respondent);
        foreach (var (d, e) in accepted.Where(a => !a.Event.Respondent!.StartsWith("system:", StringComparison.Ordinal)))
        {
            Assert.True(fresh.TryGetValue(e.Respondent!, out var source), $"{d}: InputAccepted by {e.Respondent}, which no fresh response sent (a duplicate was applied).");
            var status = source.Transition.Response!.Status;
            Assert.True(
                (status == ResponseStatus.Accepted && source == d) || (status == ResponseStatus.Buffered && source.Index < d.Index),
                $"{d}: InputAccepted by {e.Respondent}, whose response #{source.Index} was reported {status}.");
        }

        // Every response reported Accepted appears exactly once, in its own transition, as InputAccepted.
        foreach (var d in run.Deliveries.Where(d => d.Transition.Response?.Status == ResponseStatus.Accepted))
        {
            var response = (HumanResponse)d.Message;
            var request = d.Transition.Response!.Request!;
            Assert.False(d.Redelivery, $"{d}: a redelivered response was accepted.");
            Assert.Single(accepted, a => a.Event.Respondent == response.Respondent);
            Assert.Single(d.Transition.Events, e => e.Kind == RunEventKind.InputAccepted && e.Respondent == response.Respondent && e.RequestId == request.Id);
            Assert.Equal(HumanRequestStatus.Accepted, request.Status);
            Assert.Equal(response.Respondent, request.Respondent);
        }

        // A buffered response is applied at most once, and is never lost while the run goes on.
        foreach (var d in run.Deliveries.Where(d => !d.Redelivery && d.Transition.Response?.Status == ResponseStatus.Buffered))
        {
            var response = (HumanResponse)d.Message;
            int applied = run.Deliveries.Where(x => x.Index > d.Index).SelectMany(x => x.Transition.Events)
                .Count(e => e.Kind is RunEventKind.InputAccepted or RunEventKind.InputRejected && e.Respondent == response.Respondent);
            bool held = run.State.Buffered.Any(b => b.MessageId == response.MessageId);
            Assert.True(applied <= 1, $"{d}: buffered response {response.MessageId} was applied {applied} times.");
            Assert.True(applied == 1 ? !held : held || run.State.Status.IsTerminal(), $"{d}: buffered response {response.MessageId} was lost (applied {applied}, held {held}).");
        }

        // A response is held only while no request it answers is open.
        foreach (var d in run.Deliveries)
        {
            foreach (var b in d.Transition.State.Buffered)
            {
                Assert.False(
                    d.Transition.State.OpenRequests.Any(r => string.Equals(b.Target, r.Id, StringComparison.OrdinalIgnoreCase) || string.Equals(b.Target, r.Node, StringComparison.OrdinalIgnoreCase)),
                    $"{d}: response {b.MessageId} for '{b.Target}' is held although a request it answers is open.");
            }
        }

        // The final state carries each accepted answer exactly once, and nothing from stale or forged results.
        if (run.State.Status == RunStatus.Completed)
        {
            var items = run.Graph.FromJson(run.State.Output!.Value).Items;
            Assert.Equal(
                accepted.Select(a => PropertyGraphs.ItemFor(a.Event.Node!, a.Event.Data!.Value)).Order(StringComparer.Ordinal),
                items.Where(i => i.Contains('=', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(items, i => i is "stale" or "dup");
        }
    });

    [Fact]
    public void Apply_RunThatReceivesWhatItNeeds_EndsInExactlyOneTerminalState() => Check(run =>
    {
        Assert.True(run.State.Status.IsTerminal(), $"The run did not finish: {run.State.Status}.");
        var ends = run.Deliveries.Where(d => d.Transition.Events.Any(e => TerminalKinds.Contains(e.Kind))).ToList();
        Assert.Single(ends);
        var end = ends[0];
        var terminal = Assert.Single(end.Transition.Events, e => TerminalKinds.Contains(e.Kind));
        Assert.Equal(
            run.State.Status switch { RunStatus.Completed => RunEventKind.Completed, RunStatus.Failed => RunEventKind.Failed, _ => RunEventKind.Terminated },
            terminal.Kind);
        Assert.Equal(terminal.Sequence, run.State.LastEventSequence);

        // Nothing follows the terminal event but the matching complete or fail effect.
        var effects = run.Deliveries.SelectMany(d => d.Transition.Effects).ToList();
        Assert.Equal(run.State.Status == RunStatus.Completed ? 1 : 0, effects.Count(e => e is CompleteRun));
        Assert.Equal(run.State.Status == RunStatus.Failed ? 1 : 0, effects.Count(e => e is FailRun));
        var after = end.Transition.Effects.SkipWhile(e => e is not AppendEvent { Event: var ev } || ev != terminal).Skip(1).ToList();
        Assert.All(after, e => Assert.True(e is CompleteRun or FailRun, $"{end}: {e.GetType().Name} after the terminal event."));

        // Every later message (late results, answers, timers, duplicates, terminate, start) changes nothing.
        foreach (var d in run.Deliveries.Where(d => d.Index > end.Index))
        {
            AssertUnchanged(d.Before, d.Transition, $"{d} after the end");
        }

        Assert.Empty(run.State.Tokens);
        Assert.Empty(run.State.Groups);
        Assert.Empty(run.State.Timers);
        Assert.Empty(run.State.Buffered);
        Assert.Empty(run.State.OpenRequests);
    });

    [Fact]
    public void Apply_RefusedResponse_CarriesReasonAndChangesNothing() => Check(run =>
    {
        foreach (var d in run.Deliveries.Where(d => d.Message is HumanResponse))
        {
            var outcome = d.Transition.Response;
            Assert.True(outcome is not null, $"{d}: a response without an outcome.");
            if (Refusals.Contains(outcome.Status))
            {
                Assert.False(string.IsNullOrWhiteSpace(outcome.Message), $"{d}: {outcome.Status} without a reason.");
                AssertUnchanged(d.Before, d.Transition, $"{d} ({outcome.Status})");
            }
            else if (outcome.Status == ResponseStatus.Rejected)
            {
                Assert.False(string.IsNullOrWhiteSpace(outcome.Message), $"{d}: rejected without the validation message.");
                Assert.Single(d.Transition.Events, e => e.Kind == RunEventKind.InputRejected && e.Message == outcome.Message);
            }
            else if (outcome.Status == ResponseStatus.Buffered)
            {
                Assert.Empty(d.Transition.Effects);
                Assert.Contains(d.Transition.State.Buffered, b => b.MessageId == ((HumanResponse)d.Message).MessageId);
            }

            if (d.Redelivery)
            {
                Assert.True(Refusals.Contains(outcome.Status), $"{d}: a redelivered response was {outcome.Status}.");
            }
        }
    });

    [Fact]
    public void Apply_FreshResponse_OutcomeMatchesTheRequestItTargets() => Check(run =>
    {
        // Valid and invalid answers to open requests, early, late and unknown targets, answers after the end:
        // the host's view of the run (from the effects) decides what the outcome must be.
        foreach (var d in run.Deliveries.Where(d => d.Expected is not null))
        {
            Assert.True(d.Expected == d.Transition.Response!.Status, $"{d}: expected {d.Expected}, got {d.Transition.Response.Status} ({d.Transition.Response.Message}).");
        }
    });

    [Fact]
    public void Apply_RandomMessageSequences_EffectsTellTheHostExactlyWhatTheStateHolds() => Check(run =>
    {
        // A durable host only knows the effects: the requests it published, the timers it created, the nodes it runs.
        foreach (var d in run.Deliveries)
        {
            var state = d.Transition.State;
            Assert.Equal(state.OpenRequests.Select(r => r.Id).Order(StringComparer.Ordinal), d.Host.OpenRequests.Order(StringComparer.Ordinal));
            Assert.Equal(
                state.Timers.Select(t => (t.Id, t.DueAt)).OrderBy(t => t.Id, StringComparer.Ordinal),
                d.Host.LiveTimers.OrderBy(t => t.Id, StringComparer.Ordinal));
            if (!state.Status.IsTerminal())
            {
                Assert.Equal(
                    state.Tokens.Where(t => t.Phase == TokenPhase.Running).Select(t => t.TaskId!).Order(StringComparer.Ordinal),
                    d.Host.PendingTasks.Order(StringComparer.Ordinal));
            }

        }
    });

    [Fact]
    public void Apply_RandomMessageSequences_StateHoldsNoStaleTokensTimersOrGroups() => Check(run =>
    {
        foreach (var d in run.Deliveries)
        {
            var state = d.Transition.State;
            var where = $"{d}";
            foreach (var token in state.Tokens)
            {
                switch (token.Phase)
                {
                    case TokenPhase.Running:
                        Assert.True(token.TaskId is not null && token.RequestId is null, $"{where}: running token {token.Id} without a task (or with a request).");
                        break;
                    case TokenPhase.WaitingHuman:
                        Assert.True(token.TaskId is null, $"{where}: waiting token {token.Id} keeps task {token.TaskId}.");
                        Assert.Contains(state.OpenRequests, r => r.Id == token.RequestId && r.TokenId == token.Id && r.Node == token.Node);
                        break;
                    case TokenPhase.WaitingRetry:
                        Assert.True(token.TaskId is null && token.RequestId is null, $"{where}: token {token.Id} waiting to retry keeps task {token.TaskId}.");
                        Assert.Contains(state.Timers, t => t.Purpose == TimerPurpose.Retry && t.TokenId == token.Id);
                        break;
                }

                Assert.All(token.Groups, g => Assert.Contains(state.Groups, x => x.Id == g));
            }

            // Every timer concerns something still waiting for it: no timer outlives its request, wait or retry.
            foreach (var timer in state.Timers)
            {
                var token = state.Tokens.SingleOrDefault(t => t.Id == timer.TokenId);
                Assert.True(token is not null, $"{where}: timer {timer.Id} ({timer.Purpose}) for a token that no longer exists.");
                bool live = timer.Purpose switch
                {
                    TimerPurpose.Reminder or TimerPurpose.Escalation => state.OpenRequests.Any(r => r.Id == timer.RequestId && r.TokenId == token.Id),
                    TimerPurpose.Deadline => token.Phase == TokenPhase.WaitingHuman && token.DeadlineTimerId == timer.Id,
                    _ => token.Phase == TokenPhase.WaitingRetry,
                };
                Assert.True(live, $"{where}: timer {timer.Id} ({timer.Purpose}) outlived what it was for (token {token.Id} is {token.Phase} at {token.Node}).");
            }

            // A group lives while some branch is still on its way to the join.
            Assert.All(state.Groups, g => Assert.Contains(state.Tokens, t => t.Groups.Contains(g.Id)));
        }
    });

    [Fact]
    public void Generator_RandomScripts_ExerciseEveryRule()
    {
        // Guards the properties above against a generator that stops reaching the interesting cases.
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        RunScript.Generator.Sample(
            script =>
            {
                var run = PropertyRunDriver.Replay(script);
                foreach (var d in run.Deliveries)
                {
                    Count(seen, d.Redelivery ? "redelivery" : "fresh");
                    if (d.Transition.Response is { } r)
                    {
                        Count(seen, "response " + r.Status + (d.Phase == DeliveryPhase.Script ? "" : " " + d.Phase));
                    }

                    foreach (var e in d.Transition.Events)
                    {
                        Count(seen, "event " + e.Kind + (e.Kind == RunEventKind.InputAccepted ? " " + (e.Respondent!.StartsWith("system:", StringComparison.Ordinal) ? e.Respondent : "person") : ""));
                    }

                    if (d.Before.Buffered.Length > d.Transition.State.Buffered.Length && d.Transition.State.Status == RunStatus.Running)
                    {
                        Count(seen, "buffered response applied");
                    }

                    if (d.Transition.State.Groups.Length > 0)
                    {
                        Count(seen, "parallel group open");
                    }
                }

                Count(seen, "final " + run.State.Status);
            },
            iter: Iterations);

        string[] required =
        [
            "redelivery", "buffered response applied", "parallel group open",
            .. Enum.GetValues<ResponseStatus>().Select(s => "response " + s),
            .. Enum.GetValues<RunEventKind>().Where(k => k != RunEventKind.InputAccepted).Select(k => "event " + k),
            "event InputAccepted person", "event InputAccepted system:default", "event InputAccepted system:timeout",
            "final Completed", "final Failed", "final Terminated",
        ];
        var missing = required.Where(r => !seen.ContainsKey(r)).ToList();
        Assert.True(missing.Count == 0, $"Never reached: {string.Join(", ", missing)}. Seen: {string.Join(", ", seen.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"))}");
    }

    private static void Check(Action<PropertyRunDriver> property) =>
        RunScript.Generator.Sample(
            script => property(PropertyRunDriver.Replay(script)),
            iter: Iterations,
            print: script => PropertyRunDriver.Replay(script).Trace(script));

    private static void AssertUnchanged(RunState before, Transition transition, string what)
    {
        Assert.False(transition.Changed, $"{what}: Changed is true.");
        Assert.True(transition.Effects.IsEmpty, $"{what}: effects {string.Join(", ", transition.Effects.Select(e => e.GetType().Name))}.");
        Assert.True(ReferenceEquals(before, transition.State), $"{what}: the state is a new instance.");
    }

    private static void Count(ConcurrentDictionary<string, int> seen, string key) => seen.AddOrUpdate(key, 1, (_, n) => n + 1);
}
