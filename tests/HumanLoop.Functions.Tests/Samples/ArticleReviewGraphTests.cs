using HumanLoop.Functions.Samples;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Functions.Tests.Samples;

public sealed class ArticleReviewGraphTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InProcessRuntime _runtime;
    private readonly CompiledGraph<ArticleState> _graph = ArticleReviewGraph.Build();

    public ArticleReviewGraphTests() => _runtime = new InProcessRuntime(_time);

    public void Dispose() => _runtime.Dispose();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private Task<string> StartAsync(string topic = "Durable timers") => _runtime.StartAsync(_graph, new ArticleState(Topic: topic), "run-1");

    private async Task<HumanRequest> ReviewAsync(CancellationToken ct) =>
        await _runtime.NextRequestAsync("run-1", cancellationToken: ct) ?? throw new InvalidOperationException("The run ended.");

    private ArticleState Final(RunState state) => _graph.FromJson(state.Output!.Value);

    private List<RunEvent> Events(RunEventKind kind) => [.. _runtime.GetEvents("run-1").Where(e => e.Kind == kind)];

    [Fact]
    public async Task Approve_PublishesTheDraftAsWritten()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StartAsync();
        var review = await ReviewAsync(timeout.Token);

        Assert.Equal(HumanStepKind.Edit, review.Kind);
        Assert.Equal(["role:editor"], review.Assignees.AsEnumerable());
        Assert.Equal(HumanChannel.Email | HumanChannel.Callback | HumanChannel.Console, review.Channel);
        Assert.Equal("Review the article on 'Durable timers' (draft 1 of at most 3): approve it, edit it, or reject it with a reason.", review.Prompt);
        var draft = review.Details!.Value.GetProperty("value").GetString()!;
        Assert.StartsWith("Durable timers: what a careful team should know", draft, StringComparison.Ordinal);
        Assert.True(review.Details!.Value.GetProperty("allowReject").GetBoolean());

        var outcome = await _runtime.RespondAsync("run-1", review.Id, Json("\"/approve\""), "user:alice", "api", cancellationToken: timeout.Token);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        var article = Final(await _runtime.WaitForCompletionAsync("run-1", timeout.Token));

        Assert.Equal(("published", draft, "approved", "user:alice", 1), (article.Outcome, article.Published, article.Decision, article.ReviewedBy, article.Round));
        Assert.Equal("Published after 1 draft(s), approved by user:alice.", article.Note);
    }

    [Fact]
    public async Task EditThenApprove_PublishesTheEditedText()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StartAsync();
        var review = await ReviewAsync(timeout.Token);

        await _runtime.RespondAsync("run-1", review.Id, Json("""{"value": "A tighter article."}"""), "user:bob", cancellationToken: timeout.Token);
        var article = Final(await _runtime.WaitForCompletionAsync("run-1", timeout.Token));

        Assert.Equal(("published", "A tighter article.", "edited"), (article.Outcome, article.Published, article.Decision));
        Assert.Equal("Published after 1 draft(s), edited and approved by user:bob.", article.Note);
    }

    [Fact]
    public async Task Reject_RevisesWithTheReason_ThenApprovalPublishesTheRevision()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StartAsync();
        var first = await ReviewAsync(timeout.Token);

        await _runtime.RespondAsync("run-1", first.Id, Json("""{"reject": "Add an example."}"""), "user:alice", cancellationToken: timeout.Token);
        var second = await ReviewAsync(timeout.Token);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("Review the article on 'Durable timers' (draft 2 of at most 3): approve it, edit it, or reject it with a reason.", second.Prompt);
        var revised = second.Details!.Value.GetProperty("value").GetString()!;
        Assert.Contains("Revised (draft 2) to address the editor's feedback: Add an example.", revised, StringComparison.Ordinal);
        await _runtime.RespondAsync("run-1", second.Id, Json("\"/approve\""), "user:alice", cancellationToken: timeout.Token);
        var article = Final(await _runtime.WaitForCompletionAsync("run-1", timeout.Token));
        Assert.Equal(("published", revised, 2), (article.Outcome, article.Published, article.Round));
    }

    [Fact]
    public async Task RejectedThreeTimes_IsShelvedWithoutAFourthDraft()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StartAsync();
        for (int round = 1; round <= ArticleReviewGraph.MaxRounds; round++)
        {
            var review = await ReviewAsync(timeout.Token);
            Assert.Contains($"(draft {round} of at most 3)", review.Prompt, StringComparison.Ordinal);
            await _runtime.RespondAsync("run-1", review.Id, Json($"\"/reject not yet {round}\""), "user:alice", cancellationToken: timeout.Token);
        }

        var article = Final(await _runtime.WaitForCompletionAsync("run-1", timeout.Token));

        Assert.Equal(("shelved", 3, null), (article.Outcome, article.Round, article.Published));
        Assert.Equal("Shelved: 3 drafts were rejected (the last because: not yet 3).", article.Note);
        Assert.Equal(3, _runtime.GetEvents("run-1").Count(e => e.Kind == RunEventKind.NodeCompleted && e.Node == "draft"));
    }

    [Fact]
    public async Task NoAnswer_RemindsAt4And20Hours_EscalatesToChiefAfterADay_ShelvesAfter3Days()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StartAsync();
        var first = await ReviewAsync(timeout.Token);

        _time.Advance(TimeSpan.FromHours(4) - TimeSpan.FromMinutes(1));
        Assert.Empty(Events(RunEventKind.ReminderDue));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([Start.AddHours(4)], Events(RunEventKind.ReminderDue).Select(e => e.At));
        _time.Advance(TimeSpan.FromHours(16));
        Assert.Equal([Start.AddHours(4), Start.AddHours(20)], Events(RunEventKind.ReminderDue).Select(e => e.At));
        Assert.All(Events(RunEventKind.ReminderDue), e => Assert.Equal(first.Id, e.RequestId));

        _time.Advance(TimeSpan.FromHours(4) - TimeSpan.FromMinutes(1));
        Assert.Empty(Events(RunEventKind.Escalated));
        _time.Advance(TimeSpan.FromMinutes(1));
        var escalation = Assert.Single(Events(RunEventKind.Escalated));
        Assert.Equal((Start.AddDays(1), first.Id), (escalation.At, escalation.RequestId));
        var second = await ReviewAsync(timeout.Token);
        Assert.Equal(1, second.EscalationLevel);
        Assert.Equal(["user:chief"], second.Assignees.AsEnumerable());
        Assert.Equal(ResponseStatus.Expired, (await _runtime.RespondAsync("run-1", first.Id, Json("\"/approve\""), "user:alice", cancellationToken: timeout.Token)).Status);

        // The chief's request has its own reminders; the deadline still counts from the first request.
        _time.Advance(TimeSpan.FromHours(4));
        _time.Advance(TimeSpan.FromHours(16));
        Assert.Equal([Start.AddHours(28), Start.AddHours(44)], Events(RunEventKind.ReminderDue).Where(e => e.RequestId == second.Id).Select(e => e.At));
        _time.Advance(TimeSpan.FromHours(28) - TimeSpan.FromMinutes(1));
        Assert.Equal(Start.AddDays(3).AddMinutes(-1), _time.GetUtcNow());
        Assert.False(_runtime.GetState("run-1").Status.IsTerminal());
        Assert.Empty(Events(RunEventKind.TimedOut));
        _time.Advance(TimeSpan.FromMinutes(1));
        var article = Final(await _runtime.WaitForCompletionAsync("run-1", timeout.Token));

        Assert.Equal(Start.AddDays(3), Assert.Single(Events(RunEventKind.TimedOut)).At);
        Assert.Equal(("shelved", null, null), (article.Outcome, article.Decision, article.Published));
        Assert.Equal("Shelved: nobody reviewed draft 1 within 3 days.", article.Note);
    }

    [Fact]
    public async Task Draft_UsesTheChatClientOfTheServices()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var services = new ServiceCollection()
            .AddKeyedSingleton<IChatClient>(ArticleReviewGraph.Name, new FixedWriter("A model's article."))
            .BuildServiceProvider();
        using var runtime = new InProcessRuntime(_time, services);
        await runtime.StartAsync(_graph, new ArticleState(Topic: "Queues"), "run-2");

        var review = await runtime.NextRequestAsync("run-2", cancellationToken: timeout.Token);

        Assert.Equal("A model's article.", review!.Details!.Value.GetProperty("value").GetString());
    }

    [Fact]
    public void OfflineWriter_IsDeterministic_AndUsesTopicRoundAndFeedback()
    {
        var messages = ArticleChat.Prompt("Sagas", 2, "Shorter, please.", "old draft");

        var text = OfflineArticleWriter.Write(messages);

        Assert.Equal(text, OfflineArticleWriter.Write(ArticleChat.Prompt("Sagas", 2, "Shorter, please.", "old draft")));
        Assert.StartsWith("Sagas: what a careful team should know\n", text, StringComparison.Ordinal);
        Assert.Contains("Revised (draft 2) to address the editor's feedback: Shorter, please.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Revised", OfflineArticleWriter.Write(ArticleChat.Prompt("Sagas", 1, null, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void ChatSettings_WithoutEndpoint_AreOffline_AndABadEndpointIsRefused()
    {
        Assert.IsType<OfflineArticleWriter>(ArticleChat.Create(null));
        var bad = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["HumanLoop:Chat:Endpoint"] = "not a url" })
            .Build().GetSection(ArticleChat.SectionName);

        var error = Assert.Throws<InvalidOperationException>(() => ArticleChat.Create(bad));
        Assert.Equal("HumanLoop:Chat:Endpoint must be an absolute http or https URL (was 'not a url').", error.Message);
        var good = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["HumanLoop:Chat:Endpoint"] = "http://127.0.0.1:1/v1", ["HumanLoop:Chat:Model"] = "m1" })
            .Build().GetSection(ArticleChat.SectionName);
        using var client = ArticleChat.Create(good);
        Assert.Equal("m1", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    private sealed class FixedWriter(string text) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
