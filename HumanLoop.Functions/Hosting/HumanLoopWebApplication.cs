using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.Storage;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Http;
using HumanLoop.Functions.Pages;
using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Live;
using Microsoft.AspNetCore.Hosting.Server;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// Builds the HumanLoop web host: configuration from host.json, local.settings.json, the environment and the command
/// line; Kestrel on port 7071 unless URLs are given (https when a certificate is configured); the task hub on Azure Storage (Azurite started when needed);
/// the Durable Functions-style HTTP API with problem details and an OpenAPI document.
/// </summary>
internal static partial class HumanLoopWebApplication
{
    /// <summary>Builds the app without starting it.</summary>
    /// <param name="args">Command-line arguments (without the verb), such as <c>--urls http://0.0.0.0:8080</c>.</param>
    /// <param name="configure">Runs after the configuration files are added and before they are read; tests add overrides here.</param>
    /// <exception cref="HostJsonException">host.json or an override of it is invalid.</exception>
    /// <exception cref="InvalidOperationException">The storage connection is configured inconsistently.</exception>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });

        // There is no appsettings.json: keep the framework's per-request chatter out of the default log.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // The engine logs every queue message at Information; its warnings and errors are what an operator needs.
        builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Warning);
        var hostJsonPath = HostSettingsLoader.FindHostJson(builder.Configuration);
        HostSettingsLoader.AddLocalSettings(builder.Configuration, hostJsonPath);
        configure?.Invoke(builder);

        var hostSettings = HostSettingsLoader.Load(hostJsonPath, builder.Configuration);
        builder.Services.AddSingleton(hostSettings);

        var servesHttps = ConfigureKestrel(builder, hostSettings);
        builder.Services.AddTransportSecurity(TransportSecurity.Read(builder.Configuration, servesHttps));
        var storage = ConfigureStorage(builder, hostSettings);
        ConfigureTaskHub(builder, hostSettings, storage);
        var apiKeys = ApiKeyAuthentication.ParseKeys(builder.Configuration[AppSettings.ApiKeys]);
        ConfigureHttpApi(builder, apiKeys);
        ConfigureLinksAndTokens(builder);
        builder.Services.AddHumanLoopPages(builder.Configuration);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseTransportSecurity();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LiveEndpointOptions>>().Value.KeepAliveInterval });
        app.MapOpenApi();
        app.MapOrchestratorsApi().RequireAuthorization(ApiKeyAuthentication.Scheme);
        app.MapInstancesApi().RequireAuthorization(ApiKeyAuthentication.Scheme);
        app.MapHumanRequestsApi().RequireAuthorization(CallerAuthentication.AnswerPolicy);
        app.MapCallbacksApi().RequireAuthorization(CallerAuthentication.AnswerPolicy);
        app.MapAuditApi().RequireAuthorization(ApiKeyAuthentication.Scheme);
        app.MapLiveApi().RequireAuthorization(CallerAuthentication.AnswerPolicy);
        app.MapHumanLoopPages();
        if (apiKeys.Count == 0)
        {
            LogOpenApi(app.Logger, AppSettings.ApiKeys.Replace(":", "__", StringComparison.Ordinal));
        }

        return app;
    }

    /// <returns>Whether the app listens on at least one https address.</returns>
    private static bool ConfigureKestrel(WebApplicationBuilder builder, HostJsonSettings hostSettings)
    {
        var configuration = builder.Configuration;

        // A missing certificate file or a wrong password stops start-up here, with the setting's name.
        CertificateSettings.Validate(configuration, builder.Environment.ContentRootPath);
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().ToList();
        var hasUrls = !string.IsNullOrWhiteSpace(urls)
            || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey])
            || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey])
            || endpoints.Count > 0;
        bool servesHttps;
        if (hasUrls)
        {
            servesHttps = (urls?.Contains("https://", StringComparison.OrdinalIgnoreCase) ?? false)
                || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey])
                || endpoints.Any(e => e["Url"]?.TrimStart().StartsWith("https://", StringComparison.OrdinalIgnoreCase) ?? false);
        }
        else
        {
            // The Functions host's local port by default (host.json extensions.humanLoop.port), over TLS when a certificate
            // is configured (as `func start --useHttps --cert` serves it).
            servesHttps = CertificateSettings.HasDefaultCertificate(configuration);
            builder.WebHost.UseUrls($"{(servesHttps ? "https" : "http")}://localhost:{hostSettings.HumanLoop.Port}");
        }

        var maxBody = configuration.GetValue(AppSettings.MaxRequestBodyBytes, AppSettings.DefaultMaxRequestBodyBytes);
        if (maxBody <= 0)
        {
            throw new InvalidOperationException($"Setting '{AppSettings.MaxRequestBodyBytes}' must be a positive number of bytes, not {maxBody}.");
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);
        return servesHttps;
    }

    private static StorageAccountFactory ConfigureStorage(WebApplicationBuilder builder, HostJsonSettings hostSettings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in builder.Configuration.AsEnumerable())
        {
            values[key] = value;
        }

        var configured = values.Any(p =>
            !string.IsNullOrWhiteSpace(p.Value)
            && (string.Equals(p.Key, AppSettings.Storage, StringComparison.OrdinalIgnoreCase)
                || p.Key.StartsWith(AppSettings.Storage + ":", StringComparison.OrdinalIgnoreCase)));
        if (!configured)
        {
            // A fresh clone has no local.settings.json: run on Azurite, as the sample settings do.
            values[AppSettings.Storage] = AppSettings.DevelopmentStorage;
        }

        var storage = StorageAccountFactory.FromSettings(values);
        builder.Services.AddSingleton(storage);

        var connection = values.GetValueOrDefault(AppSettings.Storage)?.Trim() ?? string.Empty;
        var isShorthand = connection.StartsWith(AppSettings.DevelopmentStorage, StringComparison.OrdinalIgnoreCase);
        if (isShorthand && builder.Configuration.GetValue(AppSettings.AzuriteAutoStart, defaultValue: true))
        {
            var dataFolder = hostSettings.HumanLoop.AzuriteDataFolder;
            builder.Services.AddSingleton(new AzuriteOptions
            {
                BlobPort = DevelopmentStorage.DefaultBlobPort,
                QueuePort = DevelopmentStorage.DefaultQueuePort,
                TablePort = DevelopmentStorage.DefaultTablePort,

                // The default '.azurite' is the launcher's own default, next to package.json at the repository root.
                DataFolder = Path.IsPathRooted(dataFolder) || dataFolder is not ".azurite" ? hostSettings.ResolvePath(dataFolder) : null,
            });

            // Registered before the task hub's services, so it starts before them and stops after them.
            builder.Services.AddSingleton<DevelopmentStorageService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DevelopmentStorageService>());
        }

        return storage;
    }

    private static void ConfigureTaskHub(WebApplicationBuilder builder, HostJsonSettings hostSettings, StorageAccountFactory storage)
    {
        builder.Services
            .AddDurableHumanLoop(options => options.StorageAccount = storage)
            .UseHostJson(hostSettings)
            .SelfHosted()
            .AddActionLinks()
            .ProtectLinkKeys(builder.Configuration)
            .AddSampleGraphs();
    }

    private static void ConfigureHttpApi(WebApplicationBuilder builder, IReadOnlyList<string> apiKeys)
    {
        builder.Services.AddApiKeys(apiKeys);
        builder.Services.AddCallerAuthentication(builder.Configuration, apiKeys);
        builder.Services.AddCallbacks(builder.Configuration);
        builder.Services.AddLiveChannel();
        builder.Services.AddSingleton(new ChatStart(apiKeys.Count == 0));
        builder.Services.AddHttpApiResults();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "HumanLoop HTTP API";
            document.Info.Description = "Durable Functions' HTTP management API for HumanLoop runs, and the human task API.";
            if (apiKeys.Count > 0)
            {
                document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>
                {
                    [ApiKeyAuthentication.Scheme] = new Microsoft.OpenApi.OpenApiSecurityScheme
                    {
                        Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                        In = Microsoft.OpenApi.ParameterLocation.Header,
                        Name = ApiKeyAuthentication.HeaderName,
                        Description = $"One of the keys in {AppSettings.ApiKeys}; the '{ApiKeyAuthentication.QueryName}' query parameter works too.",
                    },
                };
                document.Security = [new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(ApiKeyAuthentication.Scheme, document)] = [] }];
            }

            return Task.CompletedTask;
        }));
    }

    private static void ConfigureLinksAndTokens(WebApplicationBuilder builder)
    {
        // Both settings are read and checked here, so a bad value stops start-up with a message naming it.
        var baseUrl = LinkBase.ParseBaseUrl(builder.Configuration[AppSettings.BaseUrl], AppSettings.BaseUrl);
        builder.Services.AddSingleton(sp => new LinkBase(baseUrl, sp.GetRequiredService<IServer>()));
        builder.Services.Configure<ActionLinkOptions>(o => o.BaseUrl ??= baseUrl is null ? null : new Uri(baseUrl));
        builder.Services.AddSingleton<ManagementUris>();
        builder.Services.AddSingleton(ContinuationTokens.FromSecret(builder.Configuration[AppSettings.ContinuationTokenKey], AppSettings.ContinuationTokenKey));
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "The HTTP API accepts requests without a key; set {Setting} to require one")]
    private static partial void LogOpenApi(ILogger logger, string setting);
}
