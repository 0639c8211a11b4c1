using HumanLoop.Functions.Samples;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>The site-design graph on the in-process runtime and a fake clock: its chat, its branches and its timers.</summary>
public sealed class SiteDesignGraphTests : IDisposable
{
    private const string RunId = "site-1";
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InProcessRuntime _runtime;
    private readonly CompiledGraph<SiteDesignState> _graph = SiteDesignGraph.Build();

    public SiteDesignGraphTests() => _runtime = new InProcessRuntime(_time);

    public void Dispose() => _runtime.Dispose();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement Text(string text) => JsonSerializer.SerializeToElement(text);

    private async Task<HumanRequest> NextAsync(string node, CancellationToken ct)
    {
        var request = await _runtime.NextRequestAsync(RunId, cancellationToken: ct) ?? throw new InvalidOperationException("The run ended.");
        Assert.Equal(node, request.Node);
        return request;
    }

    private async Task<ResponseOutcome> AnswerAsync(HumanRequest request, JsonElement value, CancellationToken ct, string who = "user:ana") =>
        await _runtime.RespondAsync(RunId, request.Id, value, who, "chat", cancellationToken: ct);

    private SiteDesignState Final(RunState state) => _graph.FromJson(state.Output!.Value);

    private int Completed(string node) => _runtime.GetEvents(RunId).Count(e => e.Kind == RunEventKind.NodeCompleted && e.Node == node);

    /// <summary>Starts a run and talks it through the chat: a theme, feedback, then agreement; returns the review request.</summary>
    private async Task<HumanRequest> ChatToReviewAsync(CancellationToken ct)
    {
        await _runtime.StartAsync(_graph, new SiteDesignState(), RunId, ct);
        var theme = await NextAsync("pick_theme", ct);
        Assert.Equal(HumanStepKind.Choice, theme.Kind);
        Assert.Equal(HumanChannel.Chat | HumanChannel.Console | HumanChannel.Callback, theme.Channel);
        Assert.Equal(SiteDesignGraph.Themes, theme.Options);
        Assert.Equal(ResponseStatus.Accepted, (await AnswerAsync(theme, Text("The meadow one, please"), ct)).Status);

        var first = await NextAsync("feedback", ct);
        Assert.Equal("What should change in preview 1 (for example 'brighter colors')? Say 'looks good' when it is right.", first.Prompt);
        await AnswerAsync(first, Text("brighter colors"), ct);
        var second = await NextAsync("feedback", ct);
        Assert.Contains("preview 2", second.Prompt, StringComparison.Ordinal);
        await AnswerAsync(second, Text("Looks good!"), ct);
        return await NextAsync("component_review", ct);
    }

    [Fact]
    public async Task Chat_ThenReview_AssetsBranchFinishesWhileTheReviewWaits_ThenPublishes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var review = await ChatToReviewAsync(timeout.Token);

        Assert.Equal(HumanStepKind.Form, review.Kind);
        Assert.Equal(["role:designer"], review.Assignees.AsEnumerable());
        Assert.Equal(HumanChannel.Email | HumanChannel.Callback | HumanChannel.Console, review.Channel);
        Assert.Equal("navigationBar", review.Details!.Value.GetProperty("schema").GetProperty("required")[0].GetString());

        // The assets branch runs to the join on its own while the review is still open.
        while (Completed("assets") < SiteDesignGraph.AssetNames.Count)
        {
            await Task.Delay(10, timeout.Token);
        }

        var open = _runtime.GetState(RunId);
        Assert.False(open.Status.IsTerminal());
        Assert.Equal(review.Id, Assert.Single(open.Requests, r => r.Status == HumanRequestStatus.Open).Id);
        Assert.Equal(0, Completed("publish"));

        var answer = Json("""{"navigationBar": {"approved": true}, "footer": {"approved": false, "comments": "Add the phone number."}}""");
        Assert.Equal(ResponseStatus.Accepted, (await AnswerAsync(review, answer, timeout.Token, "user:dee")).Status);
        var site = Final(await _runtime.WaitForCompletionAsync(RunId, timeout.Token));

        Assert.Equal(("meadow", 2, true, "published", "user:dee"), (site.Theme, site.Previews, site.DesignAgreed, site.Outcome, site.ReviewedBy));
        Assert.Equal(["brighter colors"], site.Feedback);
        Assert.Equal(SiteDesignGraph.AssetNames, site.Assets);
        Assert.Contains("brighter, more saturated colours", site.Preview, StringComparison.Ordinal);
        Assert.Contains("Changed since the last preview: brighter colors.", site.Preview, StringComparison.Ordinal);
        Assert.Equal(
            "Published the 'meadow' design after 2 preview(s) with 5 assets. Navigation bar: approved; footer: changes requested (Add the phone number.); reviewed by user:dee.",
            site.Summary);
        Assert.Equal(1, Completed("publish"));
    }

    [Fact]
    public async Task UnmappableTheme_IsRefusedWithTheOptions_AndTheSameRequestStaysOpen()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _runtime.StartAsync(_graph, new SiteDesignState(), RunId, timeout.Token);
        var theme = await NextAsync("pick_theme", timeout.Token);

        var refused = await AnswerAsync(theme, Text("something with purple"), timeout.Token);
        Assert.Equal(ResponseStatus.Rejected, refused.Status);
        Assert.Equal("'something with purple' is not one of the allowed choices: harbour, meadow, sunrise.", refused.Message);

        // Two themes named at once are as ambiguous as none.
        Assert.Equal(ResponseStatus.Rejected, (await AnswerAsync(theme, Text("harbour or meadow"), timeout.Token)).Status);
        var again = await NextAsync("pick_theme", timeout.Token);
        Assert.Equal(theme.Id, again.Id);
        Assert.Equal(ResponseStatus.Accepted, (await AnswerAsync(again, Text("the third one"), timeout.Token)).Status);
        await NextAsync("feedback", timeout.Token);
        Assert.Equal("sunrise", _graph.FromJson(Assert.Single(_runtime.GetState(RunId).Tokens).State).Theme);
    }

    [Fact]
    public async Task InvalidReview_IsRefusedNamingTheField_AndAValidOneIsTaken()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var review = await ChatToReviewAsync(timeout.Token);

        var missing = await AnswerAsync(review, Json("""{"navigationBar": {"approved": true}}"""), timeout.Token, "user:dee");
        Assert.Equal(ResponseStatus.Rejected, missing.Status);
        Assert.Contains("footer", missing.Message, StringComparison.Ordinal);
        var wrongType = await AnswerAsync(review, Json("""{"navigationBar": {"approved": "yes"}, "footer": {"approved": true}}"""), timeout.Token, "user:dee");
        Assert.Equal(ResponseStatus.Rejected, wrongType.Status);
        Assert.Contains("approved", wrongType.Message, StringComparison.Ordinal);

        await AnswerAsync(review, Json("""{"navigationBar": {"approved": true}, "footer": {"approved": true}}"""), timeout.Token, "user:dee");
        var site = Final(await _runtime.WaitForCompletionAsync(RunId, timeout.Token));
        Assert.Contains("Navigation bar: approved; footer: approved", site.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoReview_RemindsEscalatesToTheArtDirector_ThenTakesTheDefaultAfter2Days()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var review = await ChatToReviewAsync(timeout.Token);
        var opened = _time.GetUtcNow();

        _time.Advance(TimeSpan.FromHours(4));
        _time.Advance(TimeSpan.FromHours(16));
        Assert.Equal([opened.AddHours(4), opened.AddHours(20)], _runtime.GetEvents(RunId).Where(e => e.Kind == RunEventKind.ReminderDue).Select(e => e.At));
        _time.Advance(TimeSpan.FromHours(4));
        var escalated = await NextAsync("component_review", timeout.Token);
        Assert.NotEqual(review.Id, escalated.Id);
        Assert.Equal(["user:art-director"], escalated.Assignees.AsEnumerable());

        _time.Advance(TimeSpan.FromDays(1));
        var site = Final(await _runtime.WaitForCompletionAsync(RunId, timeout.Token));
        Assert.Equal(("published", "system:timeout"), (site.Outcome, site.ReviewedBy));
        Assert.Contains("Navigation bar: approved (not reviewed in time)", site.Summary, StringComparison.Ordinal);
        Assert.Single(_runtime.GetEvents(RunId), e => e.Kind == RunEventKind.TimedOut);
    }

    [Fact]
    public async Task FeedbackForever_GoesToReviewAfterTheLastPreview()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _runtime.StartAsync(_graph, new SiteDesignState(), RunId, timeout.Token);
        await AnswerAsync(await NextAsync("pick_theme", timeout.Token), Text("harbour"), timeout.Token);
        for (var i = 1; i <= SiteDesignGraph.MaxPreviews; i++)
        {
            await AnswerAsync(await NextAsync("feedback", timeout.Token), Text($"darker, take {i}"), timeout.Token);
        }

        await NextAsync("component_review", timeout.Token);
        Assert.Equal(SiteDesignGraph.MaxPreviews, Completed("preview"));
    }

    [Theory]
    [InlineData("looks good", true)]
    [InlineData("Looks good!", true)]
    [InlineData("  LGTM ", true)]
    [InlineData("ship it.", true)]
    [InlineData("looks good but brighter", false)]
    [InlineData("brighter colors", false)]
    public void IsAgreement_AcceptsOnlyAPlainYes(string reply, bool agreed) =>
        Assert.Equal(agreed, SiteDesignGraph.IsAgreement(reply));

    [Theory]
    [InlineData("I like the Harbour look", "harbour")]
    [InlineData("second", "meadow")]
    [InlineData("3", "sunrise")]
    [InlineData("the first or the second", null)]
    [InlineData("purple", null)]
    public void InterpretTheme_MapsOneNamedOrNumberedTheme(string reply, string? theme) =>
        Assert.Equal(theme, SiteDesignGraph.InterpretTheme(reply));

    [Fact]
    public async Task OfflineDesigner_StreamsWordByWord_TheSameTextItAnswersWhole()
    {
        using var designer = new OfflineDesigner(TimeSpan.Zero);
        var messages = SiteDesignChat.DescribePreview("A bakery site", "sunrise", 2, ["brighter colors"]);

        var updates = new List<string>();
        await foreach (var update in designer.GetStreamingResponseAsync(messages))
        {
            updates.Add(update.Text);
        }

        var whole = (await designer.GetResponseAsync(messages)).Text;
        Assert.True(updates.Count > 20, $"only {updates.Count} updates");
        Assert.Equal(whole, string.Concat(updates));
        Assert.StartsWith("Preview 2 (sunrise, brighter, more saturated colours)", whole, StringComparison.Ordinal);
        Assert.Equal(whole, (await designer.GetResponseAsync(SiteDesignChat.DescribePreview("A bakery site", "sunrise", 2, ["brighter colors"]))).Text);
    }

    [Fact]
    public void Create_WithoutAnEndpoint_IsTheOfflineDesigner() =>
        Assert.IsType<OfflineDesigner>(SiteDesignChat.Create(null));
}
