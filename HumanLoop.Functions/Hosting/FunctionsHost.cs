using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Live;
using Microsoft.Azure.Functions.Worker.Builder;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// The Azure Functions launch mode: an isolated worker with ASP.NET Core integration, whose triggers live in
/// <c>Functions/</c>. The Functions host runs the Durable Task engine and serves the management API, so HumanLoop
/// registers its graphs, activities and stores without <see cref="DurableHumanLoopBuilder.SelfHosted"/>.
/// </summary>
internal static class FunctionsHost
{
    /// <summary>The app setting that names the worker runtime; the host sets it for every worker it starts.</summary>
    public const string WorkerRuntimeSetting = "FUNCTIONS_WORKER_RUNTIME";

    /// <summary>The value of <see cref="WorkerRuntimeSetting"/> for a .NET isolated worker.</summary>
    public const string IsolatedWorkerRuntime = "dotnet-isolated";

    /// <summary>The setting through which FunctionsNetHost (placeholder mode) or Aspire hands the worker the host's gRPC endpoint.</summary>
    public const string HostEndpointSetting = "Functions:Worker:HostEndpoint";

    /// <summary>The app-context switch FunctionsNetHost sets when it loads the worker into its own process.</summary>
    public const string NativeHostSwitch = "AZURE_FUNCTIONS_NATIVE_HOST";

    /// <summary>
    /// Whether this process was started by the Functions host: the worker runtime is <c>dotnet-isolated</c> and the
    /// host's gRPC endpoint was handed over, on the command line (<c>--functions-uri</c>, or the older
    /// <c>--host</c>/<c>--port</c>) or in <see cref="HostEndpointSetting"/> (as <c>Functions:Worker:HostEndpoint</c> or
    /// <c>Functions__Worker__HostEndpoint</c>). <c>FUNCTIONS_WORKER_RUNTIME</c> alone is
    /// not enough: a self-hosted container may carry a Function App's settings.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">The environment variables (names compared case-insensitively).</param>
    public static bool IsLaunchedByHost(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.Equals(Find(environment, WorkerRuntimeSetting), IsolatedWorkerRuntime, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var endpointArgument = args.Any(a =>
            a.Equals("--functions-uri", StringComparison.OrdinalIgnoreCase)
            || a.StartsWith("--functions-uri=", StringComparison.OrdinalIgnoreCase)
            || a.Equals("--port", StringComparison.OrdinalIgnoreCase));
        return endpointArgument
            || !string.IsNullOrWhiteSpace(Find(environment, HostEndpointSetting))
            || !string.IsNullOrWhiteSpace(Find(environment, HostEndpointSetting.Replace(":", "__", StringComparison.Ordinal)));
    }

    /// <summary>Whether this process was started by the Functions host, judged from its own command line and environment.</summary>
    /// <param name="args">The command line.</param>
    public static bool IsLaunchedByHost(IReadOnlyList<string> args)
    {
        if (AppContext.GetData(NativeHostSwitch) is not null)
        {
            return true;
        }

        var environment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = entry.Value as string;
        }

        return IsLaunchedByHost(args, environment);
    }

    /// <summary>Builds the worker without starting it.</summary>
    /// <param name="args">The command line the host passed.</param>
    /// <exception cref="HostJsonException">host.json or an <c>AzureFunctionsJobHost__</c> override of it is invalid.</exception>
    public static IHost Create(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();

        // The host reads host.json for the engine; HumanLoop reads the same file for the hub name (its tables are
        // named from it) and its own extensions.humanLoop section.
        var hostSettings = HostSettingsLoader.Load(HostSettingsLoader.FindHostJson(builder.Configuration), builder.Configuration);
        builder.Services.AddSingleton(hostSettings);
        builder.Services
            .AddDurableHumanLoop()
            .UseHostJson(hostSettings)
            .UseConfiguration(builder.Configuration)
            .AddActionLinks(o => o.BaseUrl = ActionLinksBaseUrl(builder.Configuration))
            .ProtectLinkKeys(builder.Configuration)
            .AddSampleGraphs();
        builder.Services.AddHttpApiResults();
        builder.Services.AddLiveChannel();
        builder.Services.AddSingleton(Api.CallbackOptions.From(builder.Configuration));
        return builder.Build();
    }

    /// <summary>Runs the worker until the host stops it.</summary>
    /// <param name="args">The command line the host passed.</param>
    /// <param name="cancellationToken">Stops the worker gracefully.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var host = Create(args);
        await host.RunAsync(cancellationToken);
        return 0;
    }

    // The configured base URL, else the Function App's own host name (set by the platform), else the local default.
    private static Uri? ActionLinksBaseUrl(ConfigurationManager configuration)
    {
        var configured = Http.LinkBase.ParseBaseUrl(configuration[AppSettings.BaseUrl], AppSettings.BaseUrl);
        if (configured is not null)
        {
            return new Uri(configured);
        }

        return configuration["WEBSITE_HOSTNAME"] is { Length: > 0 } host && Uri.TryCreate("https://" + host, UriKind.Absolute, out var site) ? site : null;
    }

    private static string? Find(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value)
            ? value
            : environment.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
