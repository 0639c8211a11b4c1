using Azure.Data.Tables;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// <c>{Hub}WebhookDeadLetters</c>: the webhook notices that failed every attempt (partition = webhook name, row =
/// delivery id), with the body that was sent, so an operator can inspect and replay them.
/// </summary>
public sealed class WebhookDeadLetterStore
{
    private readonly TableClient _table;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    public WebhookDeadLetterStore(TableServiceClient tables, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.WebhookDeadLettersTable);
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Records a notice that failed every attempt; recording it again replaces the row.</summary>
    /// <param name="letter">The failed delivery.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task AddAsync(WebhookDeadLetter letter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var entity = new TableEntity(TableKeys.Escape(letter.Webhook), TableKeys.Escape(letter.DeliveryId))
        {
            ["Webhook"] = letter.Webhook,
            ["DeliveryId"] = letter.DeliveryId,
            ["Url"] = letter.Url,
            ["Kind"] = letter.Kind,
            ["RunId"] = letter.RunId,
            ["RequestId"] = letter.RequestId,
            ["Attempts"] = letter.Attempts,
            ["LastError"] = letter.LastError,
            ["Body"] = letter.Body.Length > 30_000 ? letter.Body[..30_000] : letter.Body,
            ["FailedAt"] = letter.FailedAt,
        };
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the dead letters, of one webhook or of all.</summary>
    /// <param name="webhook">The webhook's name; the default is every webhook.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<WebhookDeadLetter>> ListAsync(string? webhook = null, CancellationToken cancellationToken = default)
    {
        var filter = webhook is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Escape(webhook)}");
        var results = new List<WebhookDeadLetter>();
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(new WebhookDeadLetter
            {
                Webhook = e.GetString("Webhook") ?? e.PartitionKey,
                DeliveryId = e.GetString("DeliveryId") ?? e.RowKey,
                Url = e.GetString("Url") ?? string.Empty,
                Kind = e.GetString("Kind") ?? string.Empty,
                RunId = e.GetString("RunId") ?? string.Empty,
                RequestId = e.GetString("RequestId") ?? string.Empty,
                Attempts = e.GetInt32("Attempts") ?? 0,
                LastError = e.GetString("LastError") ?? string.Empty,
                Body = e.GetString("Body") ?? string.Empty,
                FailedAt = e.GetDateTimeOffset("FailedAt") ?? default,
            });
        }

        return results;
    }
}

/// <summary>A webhook notice that failed every attempt.</summary>
public sealed record WebhookDeadLetter
{
    /// <summary>The webhook's name.</summary>
    public required string Webhook { get; init; }

    /// <summary>The delivery id (the <c>X-HumanLoop-Delivery</c> header and the payload's <c>id</c>).</summary>
    public required string DeliveryId { get; init; }

    /// <summary>Where it was sent.</summary>
    public required string Url { get; init; }

    /// <summary>The notice kind.</summary>
    public required string Kind { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The task's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>How many attempts were made.</summary>
    public required int Attempts { get; init; }

    /// <summary>Why the last attempt failed.</summary>
    public required string LastError { get; init; }

    /// <summary>The JSON body (cut at 30,000 characters).</summary>
    public required string Body { get; init; }

    /// <summary>When the last attempt failed.</summary>
    public required DateTimeOffset FailedAt { get; init; }
}
