using Azure.Data.Tables;
using HumanLoop.Durable.Storage;

namespace HumanLoop.Durable.Runs;

/// <summary>
/// Stores a text payload in a table entity: in one or more string properties (<c>Name</c>, <c>Name1</c>, ...) of at
/// most 30,000 characters each (under the 64 KiB property limit), or, beyond <c>maxChunks</c>, in a blob of the hub's
/// large-message container with a <c>blob:</c> reference in <c>Name</c>.
/// </summary>
internal static class PayloadColumns
{
    public const int ChunkChars = 30_000;

    public static async Task WriteAsync(
        TableEntity entity,
        string name,
        string payload,
        int maxChunks,
        string blobName,
        LargePayloadStore store,
        CancellationToken cancellationToken)
    {
        int chunks = (payload.Length + ChunkChars - 1) / ChunkChars;
        if (chunks <= maxChunks && !LargePayloadStore.IsReference(payload))
        {
            for (int i = 0; i < Math.Max(chunks, 1); i++)
            {
                int start = i * ChunkChars;
                entity[i == 0 ? name : name + i] = payload.Substring(start, Math.Min(ChunkChars, payload.Length - start));
            }

            return;
        }

        entity[name] = await store.OffloadIfLargeAsync(payload, blobName, 0, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<string?> ReadAsync(TableEntity entity, string name, LargePayloadStore store, CancellationToken cancellationToken)
    {
        if (entity.GetString(name) is not { } first)
        {
            return null;
        }

        if (LargePayloadStore.IsReference(first))
        {
            return await store.ResolveAsync(first, cancellationToken).ConfigureAwait(false);
        }

        if (entity.GetString(name + "1") is null)
        {
            return first;
        }

        var text = new System.Text.StringBuilder(first);
        for (int i = 1; entity.GetString(name + i) is { } next; i++)
        {
            text.Append(next);
        }

        return text.ToString();
    }

    /// <summary>A conservative estimate of an entity's size in a transaction body.</summary>
    public static long EstimateBytes(TableEntity entity)
    {
        long total = 512;
        foreach (var (key, value) in entity)
        {
            total += key.Length + 16;
            if (value is string text)
            {
                // JSON escaping of JSON text can nearly double it; UTF-8 of non-ASCII up to 3x chars.
                total += StorageLimits.MeasureBytes(text) * 2L;
            }
            else
            {
                total += 40;
            }
        }

        return total;
    }
}
