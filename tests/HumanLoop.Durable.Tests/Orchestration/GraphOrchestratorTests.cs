using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>The graph orchestrator on the real engine (self-hosted worker on Azurite), one hub for the class.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class GraphOrchestratorTests(SharedEngineHost shared) : IClassFixture<SharedEngineHost>
{
    private IDurableRunClient Client => shared.Host.Client;

    [Fact]
    public async Task Approval_AnsweredOnce_CompletesWithAnswerAppliedOnceAndTaskAcceptedAndGaplessEventsWithoutARecordActivity()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("approval", Json(new Flow(Title: "t")), cancellationToken: ct);

        var request = await WaitForOpenRequestAsync(runId, "review", ct);
        // The status lists the request as soon as it opens; its row was stored by the first node's activity, looking
        // ahead, before that node's result reached the run.
        var open = await Polling.TaskAsync(shared.Host.Tasks, runId, request.Id, t => true, ct);
        Assert.Equal(HumanRequestStatus.Open, open.Status);
        Assert.Equal("role:editor", Assert.Single(open.Assignees));

        var outcome = await Client.RespondAsync(runId, request.Id, Json("approve"), "user:ann", "web", "m1", ct);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);

        var done = await Client.WaitForCompletionAsync(runId, ct);
        await AssertCompletedAsync(done);
        var output = TestGraphs.Approval.FromJson(done.Output!.Value);
        Assert.True(output.Prepared);
        Assert.True(output.Approved);
        Assert.True(output.Published);
        Assert.Equal(1, output.Applied);
        Assert.Equal("user:ann", output.Reviewer);

        var closed = await Polling.TaskAsync(shared.Host.Tasks, runId, request.Id, t => t.Status != HumanRequestStatus.Open, ct);
        Assert.Equal(HumanRequestStatus.Accepted, closed.Status);
        Assert.Equal("user:ann", closed.Respondent);
        Assert.Equal("web", closed.AnsweredVia);
        Assert.NotNull(closed.ClosedAt);

        var events = await Client.GetEventsAsync(runId, cancellationToken: ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted && e.Respondent == "user:ann");
        Assert.Equal(RunEventKind.Completed, events[^1].Kind);

        // Each node's activity stored the records of the transition its completion made: no record activity ran.
        Assert.DoesNotContain(HumanLoopTaskNames.Record, await HistoryAsync(runId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartRun_AnIdInUse_IsRefusedOrDeduped_RunningOrFinished_AndTheFirstRunIsKept()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var id = "start-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(id, await Client.StartRunAsync("approval", Json(new Flow(Title: "first")), new() { RunId = id }, ct));
        await WaitForOpenRequestAsync(id, "review", ct);

        await Assert.ThrowsAsync<RunAlreadyExistsException>(() => Client.StartRunAsync("approval", Json(new Flow(Title: "second")), new() { RunId = id }, ct));
        Assert.Equal(id, await Client.StartRunAsync("approval", Json(new Flow(Title: "second")), new() { RunId = id, DedupeExisting = true }, ct));

        // A finished run's id is not reused either: the run, its tasks and its events stay the first run's.
        Assert.True(await Client.TerminateAsync(id, "done with it", ct));
        var ended = await Client.WaitForCompletionAsync(id, ct);
        Assert.Equal(RunStatus.Terminated, ended.RuntimeStatus);
        await Assert.ThrowsAsync<RunAlreadyExistsException>(() => Client.StartRunAsync("approval", Json(new Flow(Title: "third")), new() { RunId = id }, ct));
        Assert.Equal(id, await Client.StartRunAsync("approval", Json(new Flow(Title: "third")), new() { RunId = id, DedupeExisting = true }, ct));
        var status = await Client.GetStatusAsync(id, new() { ShowInput = true }, ct);
        Assert.Equal(RunStatus.Terminated, status!.RuntimeStatus);
        Assert.Equal("first", status.Input!.Value.GetProperty("title").GetString());
    }

    [Fact]
    public async Task RaiseEvent_TwoAnswersByNodeNameBackToBackToALoopingNode_AppliesBoth()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("loop", Json(new Flow()), cancellationToken: ct);
        await WaitForOpenRequestAsync(runId, "ask", ct);

        // Issue 3255: the second event of a name must reach the second wait, not a cancelled first one.
        await Client.RaiseEventAsync(runId, "ask", Json("first"), cancellationToken: ct);
        await Client.RaiseEventAsync(runId, "ask", Json("second"), cancellationToken: ct);
        await WaitForOpenRequestAsync(runId, "ask", ct, occurrence: 3);
        await Client.RaiseEventAsync(runId, "ask", Json("done"), cancellationToken: ct);

        var done = await Client.WaitForCompletionAsync(runId, ct);
        await AssertCompletedAsync(done);
        var output = TestGraphs.Loop.FromJson(done.Output!.Value);
        Assert.Equal(["first", "second", "done"], output.Answers);
        Assert.Equal(3, output.Applied);
    }

    [Fact]
    public async Task TerminateAsync_RunWaitingOnAPerson_ClosesItsOpenTaskAsCancelled()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("approval", Json(new Flow(Title: "t")), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "review", ct);
        await Polling.TaskAsync(shared.Host.Tasks, runId, request.Id, t => t.Status == HumanRequestStatus.Open, ct);

        Assert.True(await Client.TerminateAsync(runId, "not needed", ct));

        var task = await shared.Host.Tasks.GetAsync(runId, request.Id, ct);
        Assert.Equal(HumanRequestStatus.Cancelled, task!.Status);
        Assert.NotNull(task.ClosedAt);
        var done = await Client.WaitForCompletionAsync(runId, ct);
        Assert.Equal(RunStatus.Terminated, done.RuntimeStatus);
        Assert.Empty(await shared.Host.Tasks.ListAsync(new HumanLoop.Durable.HumanTasks.HumanTaskQuery { RunId = runId, Status = HumanRequestStatus.Open }, ct));
    }

    [Fact]
    public async Task RaiseEvent_ByNodeNameBeforeTheNodeAsks_IsDeliveredWhenItAsksAndStorageHoldsWhatTheRunDid()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = "gated-" + Guid.NewGuid().ToString("N");
        var gate = TestGraphs.Gates.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await Client.StartRunAsync("gated", Json(new Flow()), new StartRunOptions { RunId = runId }, ct);

        // The run is held in its first node, so "ask" has not asked yet. That lone node looks ahead: once it finishes,
        // its activity stores the records of the transition its completion makes on the state it was sent with; the
        // answer, reaching the run first, makes that transition another.
        await Client.RaiseEventAsync(runId, "ask", Json("early"), cancellationToken: ct);
        var before = await Client.GetStatusAsync(runId, cancellationToken: ct);
        Assert.Empty(before!.OpenRequests);
        await Polling.ValueAsync(() => HistoryAsync(runId), history => history.Contains("\"Name\":\"ask\"", StringComparison.Ordinal), ct);
        gate.SetResult();
        var done = await Client.WaitForCompletionAsync(runId, ct);
        await AssertCompletedAsync(done);
        var output = TestGraphs.Gated.FromJson(done.Output!.Value);
        Assert.True(output.Prepared);
        Assert.Equal("early", output.Answer);
        Assert.Equal(1, output.Applied);

        // What storage holds is what the run did: gapless, one request asked and answered, no row from the look-ahead's
        // version left behind.
        var events = await Polling.ValueAsync(() => Client.GetEventsAsync(runId, cancellationToken: ct), e => e.Count > 0 && e[^1].Kind == RunEventKind.Completed, ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Single(events, e => e.Kind == RunEventKind.HumanInputRequested);
        Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
        var task = Assert.Single(await shared.Host.Tasks.ListAsync(new HumanLoop.Durable.HumanTasks.HumanTaskQuery { RunId = runId }, ct));
        var closed = await Polling.TaskAsync(shared.Host.Tasks, runId, task.RequestId, t => t.Status != HumanRequestStatus.Open, ct);
        Assert.Equal(HumanRequestStatus.Accepted, closed.Status);
        Assert.Equal("early", closed.Answer?.GetString());
    }

    [Fact]
    public async Task RespondAsync_StepWithThirtyDayTimersAnsweredAtOnce_CompletesPromptly()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("long-wait", Json(new Flow()), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "ask", ct);

        var outcome = await Client.RespondAsync(runId, request.Id, Json("now"), "user:bob", cancellationToken: ct);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);

        // The losing reminder and deadline timers must not keep the instance running.
        using var prompt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        prompt.CancelAfter(TimeSpan.FromSeconds(5));
        var done = await Client.WaitForCompletionAsync(runId, prompt.Token);
        await AssertCompletedAsync(done);
        Assert.Equal("now", TestGraphs.LongWait.FromJson(done.Output!.Value).Answer);
    }

    [Fact]
    public async Task Timeout_ShortDeadlineWithTakeDefault_TakesTheDefault()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("short-default", Json(new Flow()), cancellationToken: ct);

        var done = await Client.WaitForCompletionAsync(runId, ct);

        await AssertCompletedAsync(done);
        var output = TestGraphs.ShortDefault.FromJson(done.Output!.Value);
        Assert.Equal("fallback", output.Answer);
        Assert.Equal("system:timeout", output.AnsweredBy);
        var events = await Client.GetEventsAsync(runId, cancellationToken: ct);
        var opened = Assert.Single(events, e => e.Kind == RunEventKind.HumanInputRequested);
        var timedOut = Assert.Single(events, e => e.Kind == RunEventKind.TimedOut && e.Node == "ask");

        // Never before the deadline, though a queue takes a timer message's delay in whole seconds (rounded down, which
        // would make it up to a second early). Both times are the orchestration's clock.
        Assert.True(timedOut.At >= opened.At + TimeSpan.FromSeconds(2), $"timed out {(timedOut.At - opened.At).TotalMilliseconds} ms after opening, deadline 2000 ms");

        // And without an episode per early arrival: one durable timer, or two when a host's clock ran behind.
        var timers = System.Text.RegularExpressions.Regex.Count(await HistoryAsync(runId), "\"EventType\":10,");
        Assert.True(timers <= 2, $"{timers} timers were created for one deadline");
    }

    [Fact]
    public async Task Timeout_ShortDeadlineWithRoute_FollowsTheTimedOutEdge()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("short-route", Json(new Flow()), cancellationToken: ct);

        var done = await Client.WaitForCompletionAsync(runId, ct);

        await AssertCompletedAsync(done);
        var output = TestGraphs.ShortRoute.FromJson(done.Output!.Value);
        Assert.True(output.TimedOut);
        Assert.Null(output.Answer);
    }

    [Fact]
    public async Task FanOut_ThreeHumanBranches_AllOpenAtOnceAndEachAnsweredOnceAndMerged()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("fan-out", Json(new Flow()), cancellationToken: ct);

        var status = await PollAsync(runId, s => s.OpenRequests.Count == 3, ct);
        Assert.Equal(["a", "b", "c"], status.OpenRequests.Select(r => r.Node).Order());
        foreach (var request in status.OpenRequests)
        {
            var outcome = await Client.RespondAsync(runId, request.Id, Json("answer-" + request.Node), "user:" + request.Node, cancellationToken: ct);
            Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        }

        var done = await Client.WaitForCompletionAsync(runId, ct);
        await AssertCompletedAsync(done);
        var output = TestGraphs.FanOut.FromJson(done.Output!.Value);
        Assert.Equal(("answer-a", "answer-b", "answer-c"), (output.A, output.B, output.C));
        Assert.True(output.Joined);
        var events = await Client.GetEventsAsync(runId, cancellationToken: ct);
        Assert.Equal(3, events.Count(e => e.Kind == RunEventKind.InputAccepted));
    }

    [Fact]
    public async Task RespondAsync_SameMessageIdTwice_SecondReportsDuplicateAndIsAppliedOnce()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("loop", Json(new Flow()), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "ask", ct);

        var first = await Client.RespondAsync(runId, request.Id, Json("once"), "user:ann", messageId: "same", cancellationToken: ct);
        var second = await Client.RespondAsync(runId, "ask", Json("once"), "user:ann", messageId: "same", cancellationToken: ct);

        // The client answers a retried id from the run's recorded outcome instead of raising it again.
        Assert.Equal(ResponseStatus.Accepted, first.Status);
        Assert.Equal(ResponseStatus.Duplicate, second.Status);
        Assert.Equal(request.Id, second.Request?.Id);
        await Client.RespondAsync(runId, "ask", Json("done"), "user:ann", cancellationToken: ct);
        var done = await Client.WaitForCompletionAsync(runId, ct);
        Assert.Equal(["once", "done"], TestGraphs.Loop.FromJson(done.Output!.Value).Answers);
    }

    [Fact]
    public async Task ResponseEvent_SameEnvelopeDeliveredTwice_SecondIsDuplicateAndAppliedOnce()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("loop", Json(new Flow()), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "ask", ct);
        var envelope = JsonSerializer.SerializeToElement(
            new ResponseEnvelope { MessageId = "twice", Target = request.Id, Answer = Json("once"), Respondent = "user:ann", Channel = "queue" },
            DurableJsonContext.Default.ResponseEnvelope);

        // At-least-once delivery: the engine hands the run the same answer twice, the second after the loop asked again.
        await shared.Host.Engine.RaiseEventAsync(runId, HumanLoopTaskNames.ResponseEvent, envelope, ct);
        await WaitForOpenRequestAsync(runId, "ask", ct, occurrence: 2);
        await shared.Host.Engine.RaiseEventAsync(runId, HumanLoopTaskNames.ResponseEvent, envelope, ct);
        var status = await Polling.CustomStatusAsync(shared.Host, runId, s => s.Outcomes.Any(o => o.MessageId == "twice" && o.Status != ResponseStatus.Accepted), ct);

        Assert.Equal(ResponseStatus.Duplicate, status.Outcomes.Single(o => o.MessageId == "twice").Status);
        var retried = await Client.RespondAsync(runId, "ask", Json("once"), "user:ann", messageId: "twice", cancellationToken: ct);
        Assert.Equal(ResponseStatus.Duplicate, retried.Status);
        await Client.RespondAsync(runId, "ask", Json("done"), "user:ann", cancellationToken: ct);
        var done = await Client.WaitForCompletionAsync(runId, ct);
        Assert.Equal(["once", "done"], TestGraphs.Loop.FromJson(done.Output!.Value).Answers);
    }

    [Fact]
    public async Task RespondAsync_ToARequestJustAnswered_IsAlreadyAnswered()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("approval", Json(new Flow()), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "review", ct);

        var first = await Client.RespondAsync(runId, request.Id, Json("approve"), "user:ann", cancellationToken: ct);
        var second = await Client.RespondAsync(runId, request.Id, Json("approve"), "user:bob", cancellationToken: ct);

        Assert.Equal(ResponseStatus.Accepted, first.Status);
        Assert.Equal(ResponseStatus.AlreadyAnswered, second.Status);
        var done = await Client.WaitForCompletionAsync(runId, ct);
        var output = TestGraphs.Approval.FromJson(done.Output!.Value);
        Assert.Equal((1, "user:ann"), (output.Applied, output.Reviewer));
    }

    [Fact]
    public async Task RespondAsync_UnknownRun_ThrowsRunNotFound()
    {
        using var timeout = TestTimeout.Start(30);
        var missing = "missing-" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<RunNotFoundException>(() => Client.RespondAsync(missing, "ask", Json("x"), "user:ann", cancellationToken: timeout.Token));
        await Assert.ThrowsAsync<RunNotFoundException>(() => Client.RaiseEventAsync(missing, "ask", Json("x"), cancellationToken: timeout.Token));
    }

    [Fact]
    public async Task RespondAsync_FinishedRun_ReportsTheRecordedAnswerAndRaiseEventThrows()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("approval", Json(new Flow()), cancellationToken: ct);
        var request = await WaitForOpenRequestAsync(runId, "review", ct);
        await Client.RespondAsync(runId, request.Id, Json("approve"), "user:ann", cancellationToken: ct);
        await Client.WaitForCompletionAsync(runId, ct);

        var late = await Client.RespondAsync(runId, request.Id, Json("approve"), "user:bob", cancellationToken: ct);

        // The request was answered: 409 with who answered, not only that the run is over.
        Assert.Equal(ResponseStatus.AlreadyAnswered, late.Status);
        Assert.Equal("user:ann", late.Request?.Respondent);
        var thrown = await Assert.ThrowsAsync<RunFinishedException>(() => Client.RaiseEventAsync(runId, "review", Json("approve"), cancellationToken: ct));
        Assert.Equal(RunStatus.Completed, thrown.Status);
    }

    [Fact]
    public async Task RunNode_ThrowsTwiceThenSucceedsWithRetryPolicy_CompletesWithAttemptsInEvents()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("flaky", Json(new Flow()), cancellationToken: ct);

        var done = await Client.WaitForCompletionAsync(runId, ct);

        await AssertCompletedAsync(done);
        Assert.Equal(3, TestGraphs.Flaky.FromJson(done.Output!.Value).Applied);
        var events = await Client.GetEventsAsync(runId, cancellationToken: ct);
        var failures = events.Where(e => e.Kind == RunEventKind.NodeFailed && e.Node == "call").ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Contains("InvalidOperationException", f.Message, StringComparison.Ordinal));
        Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "call");
    }

    internal Task AssertCompletedAsync(RunStatusInfo status) => Assertions.CompletedAsync(shared.Host, status);

    /// <summary>The latest execution's history as the engine stores it (JSON), empty before the first episode.</summary>
    private async Task<string> HistoryAsync(string runId)
    {
        var engine = shared.Host.Services.GetRequiredService<DurableTask.AzureStorage.AzureStorageOrchestrationService>();
        return await engine.GetOrchestrationStateAsync(runId, allExecutions: false) is [{ } state, ..]
            ? await engine.GetOrchestrationHistoryAsync(runId, state.OrchestrationInstance.ExecutionId)
            : string.Empty;
    }

    internal static JsonElement Json(Flow flow) => TestGraphs.Approval.ToJson(flow);

    internal static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text);

    internal async Task<HumanRequest> WaitForOpenRequestAsync(string runId, string node, CancellationToken ct, int occurrence = 1)
    {
        var id = $"{runId}:{node}:{occurrence}";
        var status = await PollAsync(runId, s => s.OpenRequests.Any(r => r.Id == id), ct);
        return status.OpenRequests.Single(r => r.Id == id);
    }

    internal Task<RunStatusInfo> PollAsync(string runId, Func<RunStatusInfo, bool> until, CancellationToken ct) =>
        Polling.UntilAsync(Client, runId, until, ct);
}
