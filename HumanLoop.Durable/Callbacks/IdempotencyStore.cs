using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Callbacks;

/// <summary>
/// The callback API's <c>Idempotency-Key</c> outcomes, <c>{Hub}Idempotency</c>: partition = a hash of the caller,
/// row = a hash of the key (keys and caller names may hold characters a table key may not), one row per key.
/// </summary>
public sealed class IdempotencyStore
{
    /// <summary>The longest body kept; a larger outcome is not kept, and a retry is decided again (the run still applies the answer once).</summary>
    public const int MaxBodyChars = 30_000;

    private readonly TableClient _table;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    public IdempotencyStore(TableServiceClient tables, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.IdempotencyTable);
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>The recorded outcome of <paramref name="caller"/>'s <paramref name="key"/>, or null.</summary>
    /// <param name="caller">The caller.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<IdempotencyRecord?> GetAsync(string caller, string key, CancellationToken cancellationToken = default)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(Hash(caller), Hash(key), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue || response.Value is not { } row)
        {
            return null;
        }

        return new IdempotencyRecord
        {
            Caller = row.GetString("Caller") ?? caller,
            Key = row.GetString("Key") ?? key,
            RequestHash = row.GetString("RequestHash") ?? string.Empty,
            StatusCode = row.GetInt32("StatusCode") ?? 0,
            ContentType = row.GetString("ContentType"),
            Body = row.GetString("Body") ?? string.Empty,
            CreatedAt = row.GetDateTimeOffset("CreatedAt") ?? default,
        };
    }

    /// <summary>
    /// Records a first outcome. When another request recorded one for the same key meanwhile, that one stays and is
    /// returned; otherwise the result is null. An expired record (older than the caller's window) may be replaced with
    /// <paramref name="replace"/>.
    /// </summary>
    /// <param name="record">The outcome.</param>
    /// <param name="replace">Whether to overwrite a record that is there (an expired one).</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IdempotencyRecord?> TryAddAsync(IdempotencyRecord record, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var row = new TableEntity(Hash(record.Caller), Hash(record.Key))
        {
            ["Caller"] = record.Caller,
            ["Key"] = record.Key,
            ["RequestHash"] = record.RequestHash,
            ["StatusCode"] = record.StatusCode,
            ["ContentType"] = record.ContentType,
            ["Body"] = record.Body,
            ["CreatedAt"] = record.CreatedAt,
        };
        if (replace)
        {
            await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return null;
        }

        try
        {
            await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return await GetAsync(record.Caller, record.Key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A SHA-256 hash of <paramref name="value"/>, as lower-case hex.</summary>
    /// <param name="value">The text.</param>
    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
