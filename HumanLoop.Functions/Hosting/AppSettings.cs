namespace HumanLoop.Functions.Hosting;

/// <summary>The configuration keys the app reads besides host.json; each is documented in docs/http-api.md.</summary>
internal static class AppSettings
{
    /// <summary>The storage connection (Azure Functions' name). Missing means <c>UseDevelopmentStorage=true</c>.</summary>
    public const string Storage = "AzureWebJobsStorage";

    /// <summary>Azurite's shorthand connection string.</summary>
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    /// <summary>Whether <c>serve</c> may start the pinned Azurite (default true).</summary>
    public const string AzuriteAutoStart = "HumanLoop:Azurite:AutoStart";

    /// <summary>The largest request body accepted, in bytes (default 1 MiB).</summary>
    public const string MaxRequestBodyBytes = "HumanLoop:Http:MaxRequestBodyBytes";

    /// <summary>The keys the HTTP API requires (comma-separated; unset: the API is open, as the Functions host is locally).</summary>
    public const string ApiKeys = "HumanLoop:Http:ApiKeys";

    /// <summary>
    /// The public base URL of the API (such as <c>https://humanloop.example.com</c>) that <c>Location</c> and the management
    /// links start with; unset: the request's host when it names this server, else the listening address.
    /// </summary>
    public const string BaseUrl = "HumanLoop:Http:BaseUrl";

    /// <summary>
    /// The secret continuation tokens are signed with (a key is derived from it); the same on every host of a hub so
    /// that a token from one host works on another. Unset: a random key per process.
    /// </summary>
    public const string ContinuationTokenKey = "HumanLoop:Http:ContinuationTokenKey";

    /// <summary>An explicit path to host.json; by default it is looked for from the current directory up, then next to the app.</summary>
    public const string HostJsonPath = "HumanLoop:HostJsonPath";

    /// <summary>The prefix under which the Functions host lets settings override host.json keys.</summary>
    public const string HostJsonOverridePrefix = "AzureFunctionsJobHost";

    /// <summary>The default of <see cref="MaxRequestBodyBytes"/>: 1 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;
}
