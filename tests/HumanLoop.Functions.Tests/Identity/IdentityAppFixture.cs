using System.Security.Cryptography;
using System.Text.Json.Serialization;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Graphs;
using HumanLoop.Human;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>
/// The real app on its own Azurite with identity on: API keys for systems, JWT bearer tokens for people validated with a
/// test RSA key given in configuration (no network authority), a callback limit of <see cref="PermitLimit"/> per caller
/// per hour, and besides the samples a <c>signoff</c> graph assigned to <c>user:dana</c> and <c>role:editor</c> and a
/// <c>handover</c> graph whose request escalates to <c>user:chief</c> on its first invalid answer.
/// </summary>
public sealed class IdentityAppFixture(IMessageSink messageSink) : IAsyncLifetime
{
    public const string Issuer = "https://login.humanloop.test/";
    public const string Audience = "humanloop-api";
    public const int PermitLimit = 3;

    /// <summary>The keys systems use; each test takes its own, so rate limits (per caller) do not mix.</summary>
    public static readonly string[] Keys = ["sys-admin", "sys-replay", "sys-conflict", "sys-limit", "sys-audit", "sys-callback", "sys-buffer", "sys-gone", "sys-ended", "sys-flood"];

    private readonly RSA _signing = RSA.Create(2048);
    private TemporaryAzurite? _azurite;
    private WebApplication? _app;

    /// <summary>A client carrying the admin key (to start runs and read status and audit).</summary>
    public HttpClient Admin { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _azurite = await TemporaryAzurite.StartAsync(cancellationToken: timeout.Token);
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = _azurite.Launcher.ConnectionString,
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = "Ident" + Guid.NewGuid().ToString("N")[..12],
            ["AzureFunctionsJobHost:extensions:humanLoop:responseTimeout"] = "00:00:30",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.2",
            [AppSettings.ApiKeys] = string.Join(',', Keys),
            [AppSettings.AuthSigningKeys] = _signing.ExportSubjectPublicKeyInfoPem(),
            [AppSettings.AuthIssuer] = Issuer,
            [AppSettings.AuthAudience] = Audience,
            [AppSettings.CallbackPermitLimit] = PermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [AppSettings.CallbackWindow] = "01:00:00",
        };
        _app = HumanLoopWebApplication.Create(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new MessageSinkLoggerProvider(messageSink));
            builder.Services.AddDurableHumanLoop().AddGraph(SignoffGraph.Build()).AddGraph(SignoffGraph.BuildHandover());
        });
        await _app.StartAsync(timeout.Token);
        BaseAddress = new Uri(_app.Urls.Single());
        Admin = Client(key: Keys[0]);
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_app is not null)
        {
            using var timeout = TestTimeout.Start(30);
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        _signing.Dispose();
    }

    /// <summary>A client with an API key or a bearer token (or neither).</summary>
    public HttpClient Client(string? key = null, string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A token signed with the app's trusted key, or with <paramref name="signWith"/>.</summary>
    public string Token(string user, string[]? roles = null, string audience = Audience, DateTime? expires = null, RSA? signWith = null, string issuer = Issuer)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { ["sub"] = "id-" + user, ["preferred_username"] = user };
        if (roles is not null)
        {
            claims["roles"] = roles;
        }

        var end = expires ?? now.AddMinutes(30);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = end.AddMinutes(-60),
            NotBefore = end.AddMinutes(-60),
            Expires = end,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? _signing), SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Starts a run of <paramref name="graph"/> and returns its id once its request is open, with that request's id.</summary>
    public async Task<(string RunId, string RequestId)> StartWaitingAsync(string graph, string input, CancellationToken cancellationToken)
    {
        var id = ApiClient.NewId(graph);
        using var started = await Admin.StartAsync(graph, id, input, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return (id, await Admin.WaitForOpenRequestAsync(id, cancellationToken));
    }

    /// <summary>The run's audit, read with the admin key.</summary>
    public async Task<JsonElement[]> AuditAsync(string runId, string? requestId, CancellationToken cancellationToken)
    {
        var path = requestId is null ? $"/api/runs/{runId}/audit" : $"/api/runs/{runId}/requests/{Uri.EscapeDataString(requestId)}/audit";
        using var response = await Admin.GetAsync(path, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await ApiClient.ReadJsonAsync(response, cancellationToken)).EnumerateArray()];
    }

    /// <summary>
    /// The run's audit once it has a row: an accepted answer's row is the run's own event, stored with the records of
    /// the transition that applied it, just after the answer's 200.
    /// </summary>
    public async Task<JsonElement[]> WaitForAuditAsync(string runId, string? requestId, CancellationToken cancellationToken)
    {
        var rows = await AuditAsync(runId, requestId, cancellationToken);
        while (rows.Length == 0)
        {
            await Task.Delay(50, cancellationToken);
            rows = await AuditAsync(runId, requestId, cancellationToken);
        }

        return rows;
    }
}

/// <summary>
/// One-step graphs: <c>signoff</c>, whose request is assigned to <c>user:dana</c> and <c>role:editor</c>, and
/// <c>handover</c>, assigned to <c>user:dana</c>, which one invalid answer escalates to <c>user:chief</c>.
/// </summary>
internal static class SignoffGraph
{
    public const string Name = "signoff";
    public const string Handover = "handover";

    public static CompiledGraph<SignoffState> Build() =>
        new StateGraph<SignoffState>(Name, SignoffJson.Default.SignoffState)
            .AddHumanNode("sign", new ChoiceStep<SignoffState>
            {
                Prompt = s => $"Sign off {s.Title}?",
                Options = ["yes", "no"],
                Assignees = [Assignee.User("dana"), Assignee.Role("editor")],
                Apply = (s, answer) => s with { Choice = answer.Value, By = answer.Respondent },
            })
            .SetEntryPoint("sign")
            .AddEdge("sign", Graph.End)
            .Compile();

    public static CompiledGraph<SignoffState> BuildHandover() =>
        new StateGraph<SignoffState>(Handover, SignoffJson.Default.SignoffState)
            .AddHumanNode("sign", new ChoiceStep<SignoffState>
            {
                Prompt = s => $"Hand over {s.Title}?",
                Options = ["yes", "no"],
                Assignees = [Assignee.User("dana")],
                MaxAttempts = 1,
                OnAttemptsExhausted = AttemptsExhaustedAction.Escalate,
                Timeout = new TimeoutPolicy { Escalations = [new Escalation(TimeSpan.FromDays(1), [Assignee.User("chief")])] },
                Apply = (s, answer) => s with { Choice = answer.Value, By = answer.Respondent },
            })
            .SetEntryPoint("sign")
            .AddEdge("sign", Graph.End)
            .Compile();
}

public sealed record SignoffState(string? Title = null, string? Choice = null, string? By = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SignoffState))]
internal sealed partial class SignoffJson : JsonSerializerContext;

[CollectionDefinition(Name)]
public sealed class IdentityCollection : ICollectionFixture<IdentityAppFixture>
{
    public const string Name = "Identity";
}
