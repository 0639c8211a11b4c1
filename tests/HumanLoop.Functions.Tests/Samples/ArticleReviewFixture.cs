using System.Text.RegularExpressions;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Human;
using MimeKit;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>
/// The article-review sample on the real self-hosted app with real parts around it: its own Azurite, a real smtp4dev
/// that the app mails through, and a webhook receiver on Kestrel. The directory has <c>alice</c> (role
/// <c>editor</c>) and <c>chief</c>. Besides the sample, <see cref="Quick"/> is the same graph with timers seconds long,
/// and <see cref="PlacementGraph"/> asks the editors a choice by email.
/// Tests keep apart by their own runs and topics (each mail's subject names its topic).
/// </summary>
public sealed partial class ArticleReviewFixture(IMessageSink messageSink) : IAsyncLifetime
{
    /// <summary>The sample graph with its timers shortened to seconds.</summary>
    public const string Quick = "article-review-quick";

    public const string WebhookSecret = "flow-secret";

    /// <summary>
    /// The quick graph's timers: reminders 2 s and 4 s after a request opens, the chief after 8 s (whose request has its
    /// own reminders, at 10 s and 12 s), shelved after 20 s. Seconds apart, so that a loaded machine still fires them in turn.
    /// </summary>
    public static readonly TimeoutPolicy QuickTimeout = new()
    {
        Reminders = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)],
        Escalations = [new Escalation(TimeSpan.FromSeconds(8), [ArticleReviewGraph.Chief])],
        After = TimeSpan.FromSeconds(20),
        OnTimeout = TimeoutAction.Route,
        TimedOutEdge = "shelve",
    };

    private AppOnAzurite? _app;
    private Smtp4dev? _smtp;
    private WebhookReceiver? _webhooks;

    public string Alice { get; } = $"alice-{Guid.NewGuid():N}@example.test";

    public string Chief { get; } = $"chief-{Guid.NewGuid():N}@example.test";

    public Uri BaseAddress => _app!.BaseAddress;

    public IServiceProvider Services => _app!.Services;

    internal Smtp4dev Smtp => _smtp!;

    internal WebhookReceiver Webhooks => _webhooks!;

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _smtp = await Smtp4dev.StartAsync(timeout.Token);
        _webhooks = await WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["HumanLoop:Email:Host"] = "127.0.0.1",
            ["HumanLoop:Email:Port"] = _smtp.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HumanLoop:Email:Security"] = "None",
            ["HumanLoop:Directory:Users:alice:Email"] = Alice,
            ["HumanLoop:Directory:Users:chief:Email"] = Chief,
            ["HumanLoop:Directory:Roles:editor:0"] = "alice",
            ["HumanLoop:Webhooks:test:Url"] = _webhooks.Url.AbsoluteUri,
            ["HumanLoop:Webhooks:test:Secret"] = WebhookSecret,
        };
        _app = await AppOnAzurite.StartAsync(
            "Flow" + Guid.NewGuid().ToString("N")[..10],
            messageSink,
            settings,
            builder => builder.Services.AddDurableHumanLoop().AddGraph(ArticleReviewGraph.Build(Quick, QuickTimeout)).AddGraph(PlacementGraph.Build()),
            timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_webhooks is not null)
        {
            await _webhooks.DisposeAsync();
        }

        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }

    public HttpClient NewClient() => _app!.NewClient();

    /// <summary>Starts a run of <paramref name="graph"/> on <paramref name="topic"/> over HTTP and returns its id.</summary>
    public static async Task<string> StartAsync(HttpClient client, string graph, string topic, CancellationToken cancellationToken)
    {
        var id = ApiClient.NewId(graph);
        using var start = await client.StartAsync(graph, id, JsonSerializer.Serialize(new { topic }), cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        return id;
    }

    /// <summary>Starts a run of <paramref name="graph"/> on <paramref name="topic"/> and waits for Alice's one mail about it.</summary>
    internal async Task<(string RunId, MimeMessage Mail)> StartAndWaitForMailAsync(HttpClient client, string graph, string topic, CancellationToken cancellationToken)
    {
        var id = await StartAsync(client, graph, topic, cancellationToken);
        return (id, Assert.Single(await WaitForMailAsync(Alice, topic, 1, cancellationToken)));
    }

    /// <summary>Waits until <paramref name="address"/> has at least <paramref name="count"/> mails about <paramref name="topic"/>; returns them, oldest first.</summary>
    internal async Task<IReadOnlyList<MimeMessage>> WaitForMailAsync(string address, string topic, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var about = (await _smtp!.ListToAsync(address, cancellationToken)).Where(m => m.Subject.Contains($"'{topic}'", StringComparison.Ordinal)).ToList();
            if (about.Count >= count)
            {
                var messages = new List<MimeMessage>();
                foreach (var summary in about)
                {
                    messages.Add(await _smtp.GetAsync(summary.Id, cancellationToken));
                }

                return [.. messages.OrderBy(m => m.Date)];
            }

            // A poll of the server's stored messages: the condition is re-checked each time.
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The mails <paramref name="address"/> has about <paramref name="topic"/> now.</summary>
    internal async Task<int> CountMailAsync(string address, string topic, CancellationToken cancellationToken) =>
        (await _smtp!.ListToAsync(address, cancellationToken)).Count(m => m.Subject.Contains($"'{topic}'", StringComparison.Ordinal));

    /// <summary>The links of a notice mail, by label (<c>Approve as is</c>, <c>Review</c>), as its plain-text part lists them.</summary>
    internal static IReadOnlyDictionary<string, Uri> LinksOf(MimeMessage mail)
    {
        var links = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (Match match in LinkLine().Matches(mail.TextBody ?? string.Empty))
        {
            links[match.Groups[1].Value] = new Uri(match.Groups[2].Value);
        }

        return links;
    }

    /// <summary>The run's audit (oldest first).</summary>
    public static async Task<JsonElement[]> AuditAsync(HttpClient client, string runId, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/runs/{Uri.EscapeDataString(runId)}/audit", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await ApiClient.ReadJsonAsync(response, cancellationToken)).EnumerateArray()];
    }

    [GeneratedRegex(@"^([A-Za-z ]+): (https?://\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex LinkLine();
}

[CollectionDefinition(Name)]
public sealed class ArticleReviewCollection : ICollectionFixture<ArticleReviewFixture>
{
    public const string Name = "ArticleReview";
}
