using System.Text.RegularExpressions;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>
/// The real app on Kestrel over a real Azurite, with the link test graphs registered, the development sign-in on, and
/// <c>erin</c> in role <c>editor</c>.
/// Tests keep apart by their own runs.
/// </summary>
public sealed partial class LinkPagesFixture(IMessageSink messageSink) : IAsyncLifetime
{
    private AppOnAzurite? _app;

    public Uri BaseAddress => _app!.BaseAddress;

    public IServiceProvider Services => _app!.Services;

    public IDurableRunClient Runs => Services.GetRequiredService<IDurableRunClient>();

    public HumanTaskStore Tasks => Services.GetRequiredService<HumanTaskStore>();

    public IActionLinks Links => Services.GetRequiredService<IActionLinks>();

    public LinkTokenCodec Codec => Services.GetRequiredService<LinkTokenCodec>();

    public string HubName { get; } = "LinkTests" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _app = await AppOnAzurite.StartAsync(
            HubName,
            messageSink,
            new Dictionary<string, string?>
            {
                ["HumanLoop:Auth:DevelopmentSignIn"] = "true",

                // No SMTP server: the directory only says who holds a role, which a person's link is checked against.
                ["HumanLoop:Directory:Roles:editor:0"] = "erin",
            },
            builder => builder.Services.AddDurableHumanLoop()
                .AddGraph(LinkTestGraphs.BuildEdit())
                .AddGraph(LinkTestGraphs.BuildApproval())
                .AddGraph(LinkTestGraphs.BuildCallbackOnly()),
            timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>A client that keeps its own cookies, as one browser does, and does not follow redirects.</summary>
    public HttpClient NewBrowser() => new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>A link's path on this app (links point at the configured base, which the test app does not know before it starts).</summary>
    public static string PathOf(Uri link) => link.AbsolutePath;

    /// <summary>Starts a run of a test graph and waits for its open task.</summary>
    public async Task<HumanTaskRecord> StartAndWaitAsync(string graph, string topic, CancellationToken cancellationToken)
    {
        var input = JsonSerializer.SerializeToElement(new ArticleState(topic), ArticleJsonContext.Default.ArticleState);
        var runId = await Runs.StartRunAsync(graph, input, new StartRunOptions { RunId = ApiClient.NewId(graph) }, cancellationToken);
        var task = await WaitForTaskAsync(runId, t => t.Status == HumanRequestStatus.Open, cancellationToken);

        // The row is stored by the node activity that comes before the request, a moment before the run itself lists it.
        while ((await Runs.GetStatusAsync(runId, cancellationToken: cancellationToken))?.OpenRequests.Any(r => r.Id == task.RequestId) != true)
        {
            await Task.Delay(50, cancellationToken);
        }

        return task;
    }

    /// <summary>Waits until the run has a task matching <paramref name="match"/>.</summary>
    public async Task<HumanTaskRecord> WaitForTaskAsync(string runId, Func<HumanTaskRecord, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var tasks = await Tasks.ListAsync(new HumanTaskQuery { RunId = runId }, cancellationToken);
            if (tasks.FirstOrDefault(match) is { } task)
            {
                return task;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Waits until the run finished.</summary>
    public async Task<RunStatusInfo> WaitForFinishedAsync(string runId, CancellationToken cancellationToken) =>
        await Runs.WaitForCompletionAsync(runId, cancellationToken);

    /// <summary>The antiforgery field of a page's form.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, "The page has no antiforgery field: " + html);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

[CollectionDefinition(Name)]
public sealed class LinkPagesCollection : ICollectionFixture<LinkPagesFixture>
{
    public const string Name = "LinkPages";
}
