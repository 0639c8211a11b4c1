using System.Collections.Concurrent;
using Azure.Storage.Queues;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Pages;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Channels;

/// <summary>
/// The real app on a real Azurite with every answering channel of a durable run open at once: approval links (the email
/// channel), the respond API (<c>http</c>), the callback API (<c>callback</c>); a webhook receiver registered for every
/// notice, and a reader of the <c>{hub}-human-tasks</c> queue. The link test graphs are registered.
/// </summary>
public sealed class MultiChannelFixture(IMessageSink messageSink) : IAsyncLifetime
{
    public const string WebhookSecret = "race-webhook-secret";

    private readonly ConcurrentDictionary<string, ConcurrentQueue<JsonElement>> _queueNotices = new(StringComparer.Ordinal);
    private TemporaryAzurite? _azurite;
    private WebApplication? _app;
    private QueueClient? _queue;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    internal WebhookReceiver Webhooks { get; private set; } = null!;

    public IDurableRunClient Runs => _app!.Services.GetRequiredService<IDurableRunClient>();

    public HumanTaskStore Tasks => _app!.Services.GetRequiredService<HumanTaskStore>();

    public IActionLinks Links => _app!.Services.GetRequiredService<IActionLinks>();

    public string HubName { get; } = "Race" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _azurite = await TemporaryAzurite.StartAsync(cancellationToken: timeout.Token);
        Webhooks = await WebhookReceiver.StartAsync();
        _app = HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"],
            _azurite.Launcher.ConnectionString,
            HubName,
            messageSink,
            new Dictionary<string, string?>
            {
                ["HumanLoop:Webhooks:race:Url"] = Webhooks.Url.AbsoluteUri,
                ["HumanLoop:Webhooks:race:Secret"] = WebhookSecret,

                // Every answer of every race comes from the same anonymous caller.
                [AppSettings.CallbackPermitLimit] = "100000",
            },
            builder => builder.Services.AddDurableHumanLoop().AddGraph(LinkTestGraphs.BuildApproval()));
        await _app.StartAsync(timeout.Token);
        BaseAddress = new Uri(_app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(90) };
        _queue = new QueueServiceClient(_azurite.Launcher.ConnectionString).GetQueueClient(new TaskHubNames(HubName).HumanTasksQueue);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            using var timeout = TestTimeout.Start(30);
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }

        if (Webhooks is not null)
        {
            await Webhooks.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>A client that keeps its own cookies, as one browser does, and does not follow redirects.</summary>
    public HttpClient NewBrowser() => new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(90),
    };

    /// <summary>Starts an approval run for user alice and waits until the run lists its open request.</summary>
    public async Task<HumanTaskRecord> StartApprovalAsync(string topic, CancellationToken cancellationToken)
    {
        var input = JsonSerializer.SerializeToElement(new ArticleState(topic), ArticleJsonContext.Default.ArticleState);
        var runId = await Runs.StartRunAsync(LinkTestGraphs.Approval, input, new StartRunOptions { RunId = ApiClient.NewId("race") }, cancellationToken);
        while (true)
        {
            var tasks = await Tasks.ListAsync(new HumanTaskQuery { RunId = runId }, cancellationToken);
            if (tasks.FirstOrDefault(t => t.Status == HumanRequestStatus.Open) is { } task
                && (await Runs.GetStatusAsync(runId, cancellationToken: cancellationToken))?.OpenRequests.Any(r => r.Id == task.RequestId) == true)
            {
                return task;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits until the queue carried a notice of <paramref name="type"/> for the request; returns every one it carried of that type.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForQueueNoticesAsync(string requestId, string type, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_queueNotices.TryGetValue(requestId, out var seen) && seen.Where(n => n.GetProperty("type").GetString() == type).ToList() is { Count: > 0 } found)
            {
                return found;
            }

            // Drained by whichever test asks: every notice is kept by its request id.
            var messages = await _queue!.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), cancellationToken);
            foreach (var message in messages.Value)
            {
                var notice = JsonDocument.Parse(message.Body.ToString()).RootElement.Clone();
                _queueNotices.GetOrAdd(notice.GetProperty("requestId").GetString()!, _ => new ConcurrentQueue<JsonElement>()).Enqueue(notice);
                await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }

            if (messages.Value.Length == 0)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Waits until the webhook receiver got a delivery of <paramref name="type"/> for the request.</summary>
    internal async Task<WebhookReceiver.Delivery> WaitForWebhookAsync(string requestId, string type, CancellationToken cancellationToken)
    {
        var id = $"{requestId}/{type}";
        while (true)
        {
            if (Webhooks.All.FirstOrDefault(d => d.DeliveryId == id) is { } delivery)
            {
                return delivery;
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
