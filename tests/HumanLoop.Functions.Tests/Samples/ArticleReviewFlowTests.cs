using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>
/// The article-review flow on the real self-hosted app: its own Azurite, a real smtp4dev for the editor's email, and
/// a webhook receiver on Kestrel; the run starts over HTTP, the email arrives, the answer goes through the respond API.
/// </summary>
public sealed class ArticleReviewFlowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TemporaryAzurite? _azurite;
    private Smtp4dev? _smtp;
    private WebApplication? _receiver;
    private readonly List<(string Body, string Signature, string Timestamp)> _deliveries = [];

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _azurite = await TemporaryAzurite.StartAsync(cancellationToken: timeout.Token);
        _smtp = await Smtp4dev.StartAsync(timeout.Token);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _receiver = builder.Build();
        _receiver.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            lock (_deliveries)
            {
                _deliveries.Add((body, context.Request.Headers["X-HumanLoop-Signature"].ToString(), context.Request.Headers["X-HumanLoop-Timestamp"].ToString()));
            }

            return Results.Ok();
        });
        await _receiver.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.StopAsync();
            await _receiver.DisposeAsync();
        }

        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    [Fact]
    public async Task ArticleReview_EditorGetsTheEmailAndWebhook_ApprovalThroughTheApiPublishes()
    {
        using var timeout = TestTimeout.Start(180);
        var hookUrl = new Uri(new Uri(_receiver!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook");
        string alice = $"alice-{Guid.NewGuid():N}@example.test";
        var settings = new Dictionary<string, string?>
        {
            ["HumanLoop:Email:Host"] = "127.0.0.1",
            ["HumanLoop:Email:Port"] = _smtp!.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HumanLoop:Email:Security"] = "None",
            ["HumanLoop:Directory:Users:alice:Email"] = alice,
            ["HumanLoop:Directory:Roles:editor:0"] = "alice",
            ["HumanLoop:Webhooks:test:Url"] = hookUrl.AbsoluteUri,
            ["HumanLoop:Webhooks:test:Secret"] = "flow-secret",
        };
        var sink = new TestOutputSink(output);
        await using var app = HumanLoopAppFixture.StartApp(["--urls", "http://127.0.0.1:0"], _azurite!.Launcher.ConnectionString, "Flow" + Guid.NewGuid().ToString("N")[..10], sink, settings);
        await app.StartAsync(timeout.Token);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };

        var id = ApiClient.NewId();
        using (var start = await client.StartAsync(ArticleReviewGraph.Name, id, """{"topic": "Queues <b>&</b> timers"}""", timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }

        var requestId = await client.WaitForOpenRequestAsync(id, timeout.Token);
        var summary = Assert.Single(await _smtp.WaitForAsync(alice, 1, timeout.Token));
        Assert.Equal("Your review is requested: Review the article on 'Queues <b>&</b> timers' (draft 1 of at most 3): approve i…", summary.Subject);
        var mail = await _smtp.GetAsync(summary.Id, timeout.Token);
        Assert.Contains("Queues &lt;b&gt;&amp;&lt;/b&gt; timers: what a careful team should know", mail.HtmlBody, StringComparison.Ordinal);
        // The host builds signed links: the mail leads to the review page.
        Assert.Contains("/review/", mail.TextBody, StringComparison.Ordinal);

        (string Body, string Signature, string Timestamp) delivery;
        lock (_deliveries)
        {
            delivery = Assert.Single(_deliveries);
        }

        Assert.True(Durable.Notifications.WebhookSignature.Verify("flow-secret", delivery.Timestamp, delivery.Body, delivery.Signature, DateTimeOffset.FromUnixTimeSeconds(long.Parse(delivery.Timestamp, System.Globalization.CultureInfo.InvariantCulture)), TimeSpan.FromMinutes(5)));
        Assert.Equal(requestId, JsonDocument.Parse(delivery.Body).RootElement.GetProperty("requestId").GetString());

        using (var answer = await client.PostAsync(
            $"/api/runs/{Uri.EscapeDataString(id)}/requests/{Uri.EscapeDataString(requestId)}/respond",
            ApiClient.Json("""{"answer": "/approve", "respondent": "user:alice"}"""),
            timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var finished = await client.WaitForFinishedAsync(id, timeout.Token);
        var result = finished.GetProperty("output");
        Assert.Equal("published", result.GetProperty("outcome").GetString());
        Assert.Equal("Published after 1 draft(s), approved by user:alice.", result.GetProperty("note").GetString());
        Assert.Single(await _smtp.ListToAsync(alice, timeout.Token));
    }

    private sealed class TestOutputSink(ITestOutputHelper output) : Xunit.LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage diagnostic)
            {
                try
                {
                    output.WriteLine(diagnostic.Message);
                }
                catch (InvalidOperationException)
                {
                    // The test has finished.
                }
            }

            return true;
        }
    }
}
