using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Activities;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.Tests.Orchestration;
using HumanLoop.Human;
using HumanLoop.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HumanLoop.Durable.Tests.Notifications;

/// <summary>
/// A host with HumanLoop's stores on the fixture's Azurite and its notifications configured from in-memory settings
/// (no engine: the tests call the record activity itself, as the orchestrator's activities do).
/// </summary>
internal sealed class NotificationHost : IAsyncDisposable
{
    private readonly IHost _host;

    private NotificationHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public GraphActivities Activities => _host.Services.GetRequiredService<GraphActivities>();

    public NoticeLog Notices => _host.Services.GetRequiredService<NoticeLog>();

    public WebhookDeadLetterStore DeadLetters => _host.Services.GetRequiredService<WebhookDeadLetterStore>();

    public HumanTaskStore Tasks => _host.Services.GetRequiredService<HumanTaskStore>();

    public static async Task<NotificationHost> StartAsync(
        AzuriteFixture azurite,
        IDictionary<string, string?> settings,
        string? hubName = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? services = null,
        IEnumerable<HumanLoop.Graphs.CompiledGraph>? graphs = null,
        Action<DurableHumanLoopOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        services?.Invoke(builder.Services);
        var name = hubName ?? EngineHost.NewHubName();
        var humanLoop = builder.Services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = azurite.Launcher.ConnectionString;
            o.HubName = name;
            configure?.Invoke(o);
        });
        foreach (var graph in graphs ?? [])
        {
            humanLoop.AddGraph(graph);
        }
        var host = builder.Build();
        await host.StartAsync();
        return new NotificationHost(host);
    }

    /// <summary>Settings that mail through the SMTP server on 127.0.0.1:<paramref name="port"/>, with each user's address in the directory.</summary>
    public static Dictionary<string, string?> EmailSettings(int port, SmtpSecurity security, params (string User, string Email)[] users)
    {
        var settings = new Dictionary<string, string?>
        {
            ["HumanLoop:Email:Host"] = "127.0.0.1",
            ["HumanLoop:Email:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HumanLoop:Email:Security"] = security.ToString(),
            ["HumanLoop:Email:From"] = "HumanLoop <humanloop@example.test>",
        };
        foreach (var (user, email) in users)
        {
            settings[$"HumanLoop:Directory:Users:{user}:Email"] = email;
        }

        return settings;
    }

    /// <summary>Runs the record activity with <paramref name="record"/>, as the orchestrator hands it over.</summary>
    public Task RecordAsync(RecordInput record, CancellationToken cancellationToken) =>
        Activities.RecordAsync(JsonSerializer.SerializeToElement(record, DurableJsonContext.Default.RecordInput), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    /// <summary>An open edit request of the article-review shape.</summary>
    public static HumanRequest Request(string runId, string prompt, string draft, IEnumerable<string> assignees, HumanChannel channel, int level = 0, int occurrence = 1) => new()
    {
        Id = $"{runId}:review:{occurrence}",
        RunId = runId,
        Node = "review",
        TokenId = "t1",
        Kind = HumanStepKind.Edit,
        Prompt = prompt,
        Details = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["value"] = draft }),
        Assignees = [.. assignees],
        Channel = channel,
        MaxAttempts = 3,
        EscalationLevel = level,
        OpenedAt = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
    };

    public static RecordInput Opened(params HumanRequest[] requests) => new()
    {
        Graph = "article-review",
        RunId = requests[0].RunId,
        Opened = [.. requests.Select(r => new OpenedTask(r, JsonSerializer.SerializeToElement(new { topic = "x" }), r.OpenedAt.AddDays(3)))],
    };

    public static RecordInput Reminder(HumanRequest request, int number, long sequence) => new()
    {
        Graph = "article-review",
        RunId = request.RunId,
        Events = ImmutableArray.Create(new RunEvent(sequence, request.OpenedAt.AddHours(4), RunEventKind.ReminderDue, request.Node, request.Id, Message: $"Reminder {number}: '{request.Prompt}' is still waiting.")),
    };
}
