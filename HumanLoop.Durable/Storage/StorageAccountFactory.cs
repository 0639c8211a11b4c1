using System.Collections;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using HumanLoop.Durable.Configuration;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// Creates the Blob, Queue and Table clients of one storage account, from a connection string
/// (including <c>UseDevelopmentStorage=true</c> for Azurite) or from the account's service URIs with a
/// token credential (<see cref="DefaultAzureCredential"/> by default), the two ways Azure Functions
/// reads the <c>AzureWebJobsStorage</c> setting.
/// </summary>
/// <remarks>
/// Every client gets the same retry settings and the same optional per-call policy from
/// <see cref="StorageClientSettings"/>; queue clients send message text as is
/// (<see cref="QueueMessageEncoding.None"/>). Instances are immutable and thread-safe; the clients they
/// create are meant to be created once and reused.
/// </remarks>
public sealed class StorageAccountFactory
{
    /// <summary>The setting name Azure Functions uses for its storage account: <c>AzureWebJobsStorage</c>.</summary>
    public const string DefaultConnectionName = "AzureWebJobsStorage";

    private const string DefaultEndpointSuffix = "core.windows.net";

    private readonly string? _connectionString;
    private readonly TokenCredential? _credential;

    private StorageAccountFactory(
        string? connectionString,
        TokenCredential? credential,
        Uri blobServiceUri,
        Uri queueServiceUri,
        Uri tableServiceUri,
        string accountName,
        bool isDevelopmentStorage,
        StorageClientSettings? settings)
    {
        settings ??= StorageClientSettings.Default;
        OptionsValidator.ThrowIfInvalid(settings, nameof(settings));
        _connectionString = connectionString;
        _credential = credential;
        BlobServiceUri = blobServiceUri;
        QueueServiceUri = queueServiceUri;
        TableServiceUri = tableServiceUri;
        AccountName = accountName;
        IsDevelopmentStorage = isDevelopmentStorage;
        Settings = settings;
    }

    /// <summary>Gets the Blob service endpoint.</summary>
    public Uri BlobServiceUri { get; }

    /// <summary>Gets the Queue service endpoint.</summary>
    public Uri QueueServiceUri { get; }

    /// <summary>Gets the Table service endpoint.</summary>
    public Uri TableServiceUri { get; }

    /// <summary>Gets the storage account name, or an empty string when the connection string does not name it.</summary>
    public string AccountName { get; }

    /// <summary>Gets a value indicating whether the account is the emulator's <c>devstoreaccount1</c>.</summary>
    public bool IsDevelopmentStorage { get; }

    /// <summary>Gets a value indicating whether requests are authorized with a token credential rather than a connection string.</summary>
    public bool UsesTokenCredential => _credential is not null;

    /// <summary>Gets the client settings applied to every client.</summary>
    public StorageClientSettings Settings { get; }

    /// <summary>Creates a factory from a storage connection string.</summary>
    /// <param name="connectionString">
    /// An account-key or SAS connection string, or <c>UseDevelopmentStorage=true</c> (the emulator on
    /// <c>127.0.0.1</c> ports 10000, 10001 and 10002).
    /// </param>
    /// <param name="settings">Client settings; <see cref="StorageClientSettings.Default"/> when <see langword="null"/>.</param>
    /// <returns>The factory.</returns>
    /// <exception cref="ArgumentException">
    /// The connection string is malformed, or names no endpoint for one of the three services.
    /// </exception>
    public static StorageAccountFactory FromConnectionString(string connectionString, StorageClientSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var parts = ParseConnectionString(connectionString);
        if (parts.TryGetValue("UseDevelopmentStorage", out var useDev))
        {
            if (!bool.TryParse(useDev, out var isDev) || !isDev)
            {
                throw new ArgumentException("UseDevelopmentStorage must be 'true' when present.", nameof(connectionString));
            }

            if (parts.Count > 1)
            {
                throw new ArgumentException(
                    "UseDevelopmentStorage=true cannot be combined with other settings (such as DevelopmentStorageProxyUri); " +
                    "for an emulator on other ports, use an explicit connection string with BlobEndpoint, QueueEndpoint and TableEndpoint.",
                    nameof(connectionString));
            }

            connectionString = DevelopmentStorage.DefaultConnectionString;
            parts = ParseConnectionString(connectionString);
        }

        var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        var suffix = parts.GetValueOrDefault("EndpointSuffix", DefaultEndpointSuffix);
        parts.TryGetValue("AccountName", out var accountName);
        var missing = new List<string>();
        var blob = Endpoint("Blob");
        var queue = Endpoint("Queue");
        var table = Endpoint("Table");
        if (missing.Count > 0)
        {
            throw new ArgumentException(
                $"The storage connection string gives no endpoint for {string.Join(", ", missing)}: " +
                "add AccountName (with AccountKey or SharedAccessSignature) or the missing *Endpoint entries.",
                nameof(connectionString));
        }

        return new StorageAccountFactory(
            connectionString,
            credential: null,
            blob!,
            queue!,
            table!,
            accountName ?? string.Empty,
            string.Equals(accountName, DevelopmentStorage.AccountName, StringComparison.Ordinal),
            settings);

        Uri? Endpoint(string service)
        {
            if (parts.TryGetValue(service + "Endpoint", out var explicitEndpoint))
            {
                if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var uri))
                {
                    throw new ArgumentException($"{service}Endpoint '{explicitEndpoint}' is not an absolute URI.", nameof(connectionString));
                }

                return uri;
            }

            if (string.IsNullOrEmpty(accountName))
            {
                missing.Add(service);
                return null;
            }

            return new Uri($"{protocol}://{accountName}.{service.ToLowerInvariant()}.{suffix}");
        }
    }

    /// <summary>
    /// Creates a factory for an Azure storage account addressed by name
    /// (<c>https://{account}.{blob|queue|table}.core.windows.net</c>) with a token credential.
    /// </summary>
    /// <param name="accountName">The storage account name (3-24 lowercase letters and digits).</param>
    /// <param name="credential">The credential; a new <see cref="DefaultAzureCredential"/> when <see langword="null"/>.</param>
    /// <param name="settings">Client settings; <see cref="StorageClientSettings.Default"/> when <see langword="null"/>.</param>
    /// <param name="endpointSuffix">The DNS suffix of the cloud. The default is <c>core.windows.net</c>.</param>
    /// <returns>The factory.</returns>
    /// <exception cref="ArgumentException">The account name is not a valid storage account name.</exception>
    public static StorageAccountFactory FromAccountName(
        string accountName,
        TokenCredential? credential = null,
        StorageClientSettings? settings = null,
        string endpointSuffix = DefaultEndpointSuffix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointSuffix);
        if (accountName.Length is < 3 or > 24 || !accountName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException(
                $"'{accountName}' is not a storage account name: use 3-24 lowercase letters and digits.",
                nameof(accountName));
        }

        return new StorageAccountFactory(
            connectionString: null,
            credential ?? new DefaultAzureCredential(),
            new Uri($"https://{accountName}.blob.{endpointSuffix}"),
            new Uri($"https://{accountName}.queue.{endpointSuffix}"),
            new Uri($"https://{accountName}.table.{endpointSuffix}"),
            accountName,
            isDevelopmentStorage: false,
            settings);
    }

    /// <summary>Creates a factory from explicit service endpoints and a token credential.</summary>
    /// <param name="blobServiceUri">The Blob service endpoint.</param>
    /// <param name="queueServiceUri">The Queue service endpoint.</param>
    /// <param name="tableServiceUri">The Table service endpoint.</param>
    /// <param name="credential">The credential; a new <see cref="DefaultAzureCredential"/> when <see langword="null"/>.</param>
    /// <param name="settings">Client settings; <see cref="StorageClientSettings.Default"/> when <see langword="null"/>.</param>
    /// <returns>The factory.</returns>
    public static StorageAccountFactory FromServiceUris(
        Uri blobServiceUri,
        Uri queueServiceUri,
        Uri tableServiceUri,
        TokenCredential? credential = null,
        StorageClientSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(blobServiceUri);
        ArgumentNullException.ThrowIfNull(queueServiceUri);
        ArgumentNullException.ThrowIfNull(tableServiceUri);
        var host = blobServiceUri.Host;
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return new StorageAccountFactory(
            connectionString: null,
            credential ?? new DefaultAzureCredential(),
            blobServiceUri,
            queueServiceUri,
            tableServiceUri,
            dot > 0 ? host[..dot] : string.Empty,
            isDevelopmentStorage: false,
            settings);
    }

    /// <summary>
    /// Creates a factory from app settings the way Azure Functions reads a storage connection named
    /// <paramref name="connectionName"/>: the setting itself holds a connection string; otherwise
    /// <c>{name}__accountName</c>, or <c>{name}__blobServiceUri</c> / <c>__queueServiceUri</c> /
    /// <c>__tableServiceUri</c> (or <c>__serviceUri</c> for Blob), select identity-based access with
    /// <see cref="DefaultAzureCredential"/>; <c>{name}__clientId</c> picks a user-assigned managed identity.
    /// Keys may use <c>__</c> or <c>:</c> as separator and are matched case-insensitively.
    /// </summary>
    /// <param name="values">App settings, such as <see cref="LocalSettings.Values"/> or the environment.</param>
    /// <param name="connectionName">The connection name. The default is <c>AzureWebJobsStorage</c>.</param>
    /// <param name="settings">Client settings; <see cref="StorageClientSettings.Default"/> when <see langword="null"/>.</param>
    /// <returns>The factory.</returns>
    /// <exception cref="InvalidOperationException">The connection is not configured, or configured inconsistently.</exception>
    public static StorageAccountFactory FromSettings(
        IReadOnlyDictionary<string, string?> values,
        string connectionName = DefaultConnectionName,
        StorageClientSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        var normalized = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                normalized[key.Replace(":", "__", StringComparison.Ordinal)] = value.Trim();
            }
        }

        if (normalized.TryGetValue(connectionName, out var connectionString))
        {
            try
            {
                return FromConnectionString(connectionString, settings);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"Setting '{connectionName}' is not a usable storage connection string: {ex.Message}", ex);
            }
        }

        normalized.TryGetValue(connectionName + "__clientId", out var clientId);
        normalized.TryGetValue(connectionName + "__credential", out var credentialKind);
        TokenCredential credential = string.Equals(credentialKind, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });

        if (normalized.TryGetValue(connectionName + "__accountName", out var accountName))
        {
            try
            {
                return FromAccountName(accountName, credential, settings);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"Setting '{connectionName}__accountName' is invalid: {ex.Message}", ex);
            }
        }

        var blob = Uri(connectionName + "__blobServiceUri") ?? Uri(connectionName + "__serviceUri");
        var queue = Uri(connectionName + "__queueServiceUri") ?? Sibling(blob, "queue");
        var table = Uri(connectionName + "__tableServiceUri") ?? Sibling(blob, "table");
        if (blob is null && queue is null && table is null)
        {
            throw new InvalidOperationException(
                $"Storage connection '{connectionName}' is not configured: set '{connectionName}' to a connection string " +
                $"('UseDevelopmentStorage=true' for Azurite), or '{connectionName}__accountName' to use the account with DefaultAzureCredential.");
        }

        if (blob is null || queue is null || table is null)
        {
            throw new InvalidOperationException(
                $"Storage connection '{connectionName}' needs Blob, Queue and Table endpoints: set '{connectionName}__accountName', " +
                $"or all of '{connectionName}__blobServiceUri', '__queueServiceUri' and '__tableServiceUri'.");
        }

        return FromServiceUris(blob, queue, table, credential, settings);

        Uri? Uri(string key)
        {
            if (!normalized.TryGetValue(key, out var text))
            {
                return null;
            }

            return System.Uri.TryCreate(text, UriKind.Absolute, out var uri)
                ? uri
                : throw new InvalidOperationException($"Setting '{key}' is not an absolute URI: '{text}'.");
        }

        static Uri? Sibling(Uri? blobUri, string service)
        {
            if (blobUri is null || !blobUri.Host.Contains(".blob.", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var builder = new UriBuilder(blobUri)
            {
                Host = blobUri.Host.Replace(".blob.", $".{service}.", StringComparison.OrdinalIgnoreCase),
            };
            return builder.Uri;
        }
    }

    /// <summary>
    /// Creates a factory from the process environment variables, as <see cref="FromSettings"/> does
    /// (after <see cref="LocalSettings.ApplyToEnvironment"/>, for example).
    /// </summary>
    /// <param name="connectionName">The connection name. The default is <c>AzureWebJobsStorage</c>.</param>
    /// <param name="settings">Client settings; <see cref="StorageClientSettings.Default"/> when <see langword="null"/>.</param>
    /// <returns>The factory.</returns>
    /// <exception cref="InvalidOperationException">The connection is not configured, or configured inconsistently.</exception>
    public static StorageAccountFactory FromEnvironment(string connectionName = DefaultConnectionName, StorageClientSettings? settings = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            values[(string)entry.Key] = entry.Value as string;
        }

        return FromSettings(values, connectionName, settings);
    }

    /// <summary>Creates a Blob service client with the factory's settings.</summary>
    /// <returns>A new client; create it once and reuse it.</returns>
    public BlobServiceClient CreateBlobServiceClient()
    {
        var options = new BlobClientOptions();
        Configure(options, StorageService.Blob);
        return _connectionString is not null
            ? new BlobServiceClient(_connectionString, options)
            : new BlobServiceClient(BlobServiceUri, _credential!, options);
    }

    /// <summary>Creates a Queue service client with the factory's settings and <see cref="QueueMessageEncoding.None"/>.</summary>
    /// <returns>A new client; create it once and reuse it.</returns>
    public QueueServiceClient CreateQueueServiceClient()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        Configure(options, StorageService.Queue);
        return _connectionString is not null
            ? new QueueServiceClient(_connectionString, options)
            : new QueueServiceClient(QueueServiceUri, _credential!, options);
    }

    /// <summary>Creates a Table service client with the factory's settings.</summary>
    /// <returns>A new client; create it once and reuse it.</returns>
    public TableServiceClient CreateTableServiceClient()
    {
        var options = new TableClientOptions();
        Configure(options, StorageService.Table);
        return _connectionString is not null
            ? new TableServiceClient(_connectionString, options)
            : new TableServiceClient(TableServiceUri, _credential!, options);
    }

    /// <summary>
    /// Creates the client provider the Durable Task engine's Azure Storage backend uses, with the factory's settings
    /// (retries, timeouts, the transaction counter) applied to its Blob, Queue and Table clients.
    /// </summary>
    /// <returns>A new provider; the engine creates its clients from it.</returns>
    public DurableTask.AzureStorage.StorageAccountClientProvider CreateEngineClientProvider()
    {
        var blob = new BlobClientOptions();
        var queue = new QueueClientOptions();
        var table = new TableClientOptions();
        Configure(blob, StorageService.Blob);
        Configure(queue, StorageService.Queue);
        Configure(table, StorageService.Table);
        return _connectionString is not null
            ? new DurableTask.AzureStorage.StorageAccountClientProvider(
                DurableTask.AzureStorage.StorageServiceClientProvider.ForBlob(_connectionString, blob),
                DurableTask.AzureStorage.StorageServiceClientProvider.ForQueue(_connectionString, queue),
                DurableTask.AzureStorage.StorageServiceClientProvider.ForTable(_connectionString, table))
            : new DurableTask.AzureStorage.StorageAccountClientProvider(
                DurableTask.AzureStorage.StorageServiceClientProvider.ForBlob(BlobServiceUri, _credential!, blob),
                DurableTask.AzureStorage.StorageServiceClientProvider.ForQueue(QueueServiceUri, _credential!, queue),
                DurableTask.AzureStorage.StorageServiceClientProvider.ForTable(TableServiceUri, _credential!, table));
    }

    /// <summary>Describes the account without any secret.</summary>
    /// <returns>The account name, endpoints and kind of authorization.</returns>
    public override string ToString() =>
        $"{(AccountName.Length == 0 ? "(unnamed account)" : AccountName)} " +
        $"[blob {BlobServiceUri}, queue {QueueServiceUri}, table {TableServiceUri}; " +
        $"{(UsesTokenCredential ? "token credential" : "connection string")}]";

    private void Configure(ClientOptions options, StorageService service)
    {
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = Settings.MaxRetries;
        options.Retry.Delay = Settings.RetryDelay;
        options.Retry.MaxDelay = Settings.MaxRetryDelay;
        options.Retry.NetworkTimeout = Settings.NetworkTimeout;
        if (Settings.ApplicationId is not null)
        {
            options.Diagnostics.ApplicationId = Settings.ApplicationId;
        }

        options.AddPolicy(new StorageServiceTagPolicy(service), HttpPipelinePosition.PerCall);
        if (Settings.PerCallPolicy is not null)
        {
            options.AddPolicy(Settings.PerCallPolicy, HttpPipelinePosition.PerCall);
        }
    }

    private static Dictionary<string, string> ParseConnectionString(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                // Never echo the segment: it may be (part of) a key.
                throw new ArgumentException(
                    "The storage connection string is malformed: every entry must be 'Name=value', separated by ';'.",
                    nameof(connectionString));
            }

            parts[segment[..equals].Trim()] = segment[(equals + 1)..].Trim();
        }

        if (parts.Count == 0)
        {
            throw new ArgumentException("The storage connection string is empty.", nameof(connectionString));
        }

        return parts;
    }
}
