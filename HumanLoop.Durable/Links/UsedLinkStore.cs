using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Links;

/// <summary>
/// The spent link tokens of a hub, <c>{Hub}UsedLinks</c> (partition = token id): a token is claimed before its answer
/// is sent, so two clicks of one link cannot both answer, and completed with the decision once the run took it.
/// </summary>
public sealed class UsedLinkStore
{
    private const string RowKey = "link";

    private readonly TableClient _table;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    public UsedLinkStore(TableServiceClient tables, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.UsedLinksTable);
    }

    /// <summary>
    /// How long a claim whose answer never completed (its host stopped mid-answer) holds the token; after it, the token
    /// may be claimed again. Resending is safe: the answer's message id is derived from the token.
    /// </summary>
    /// <value>Two minutes.</value>
    public static TimeSpan AbandonedClaimAfter { get; } = TimeSpan.FromMinutes(2);

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>Gets the record of a token, or null when it was never claimed.</summary>
    /// <param name="tokenId">The token's id.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<UsedLink?> GetAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(tokenId, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>
    /// Claims a token for the answer about to be sent. Returns null when this caller holds the claim; otherwise the
    /// record of the claim or decision that holds the token.
    /// </summary>
    /// <param name="token">The token.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<UsedLink?> TryClaimAsync(LinkToken token, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var entity = new TableEntity(token.Id, RowKey)
        {
            ["RunId"] = token.RunId,
            ["RequestId"] = token.RequestId,
            ["Action"] = token.Action,
            ["Assignee"] = token.Assignee,
            ["Completed"] = false,
            ["ClaimedAt"] = now,
        };
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Claimed already; taken over below only when that claim was abandoned.
        }

        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(token.Id, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue)
        {
            return await TryClaimAsync(token, now, cancellationToken).ConfigureAwait(false);
        }

        var record = FromEntity(existing.Value!);
        if (record.Completed || now - record.ClaimedAt < AbandonedClaimAfter)
        {
            return record;
        }

        try
        {
            await _table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return await GetAsync(token.Id, cancellationToken).ConfigureAwait(false) ?? record;
        }
    }

    /// <summary>Records the decision of a claimed token.</summary>
    /// <param name="token">The token.</param>
    /// <param name="decision">The answer sent.</param>
    /// <param name="outcome">What the run made of it.</param>
    /// <param name="respondent">Who answered.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<UsedLink> CompleteAsync(LinkToken token, JsonElement decision, string outcome, string respondent, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var entity = new TableEntity(token.Id, RowKey)
        {
            ["RunId"] = token.RunId,
            ["RequestId"] = token.RequestId,
            ["Action"] = token.Action,
            ["Assignee"] = token.Assignee,
            ["Completed"] = true,
            ["Decision"] = decision.GetRawText(),
            ["Outcome"] = outcome,
            ["Respondent"] = respondent,
            ["UsedAt"] = now,
        };
        var existing = await GetAsync(token.Id, cancellationToken).ConfigureAwait(false);
        entity["ClaimedAt"] = existing?.ClaimedAt ?? now;
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return FromEntity(entity);
    }

    /// <summary>Gives back a claim whose answer the run did not take (invalid, or refused), so the link may be used again.</summary>
    /// <param name="tokenId">The token's id.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task ReleaseAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(tokenId, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue || existing.Value!.GetBoolean("Completed") == true)
        {
            return;
        }

        try
        {
            await _table.DeleteEntityAsync(existing.Value!, existing.Value!.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Released or taken over meanwhile.
        }
    }

    private static UsedLink FromEntity(TableEntity entity) => new()
    {
        TokenId = entity.PartitionKey,
        RunId = entity.GetString("RunId") ?? string.Empty,
        RequestId = entity.GetString("RequestId") ?? string.Empty,
        Action = entity.GetString("Action") ?? string.Empty,
        Assignee = entity.GetString("Assignee") ?? string.Empty,
        Completed = entity.GetBoolean("Completed") ?? false,
        ClaimedAt = entity.GetDateTimeOffset("ClaimedAt") ?? default,
        Decision = entity.GetString("Decision"),
        Outcome = entity.GetString("Outcome"),
        Respondent = entity.GetString("Respondent"),
        UsedAt = entity.GetDateTimeOffset("UsedAt"),
    };
}
