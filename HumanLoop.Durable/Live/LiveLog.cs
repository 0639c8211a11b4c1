using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Live;

/// <summary>
/// A hub's live log, <c>{Hub}Live</c>: per run (the partition) the agent output its nodes said and its events, in one
/// gapless sequence that readers resume from. Any host may append: a head row holds the last sequence number, and each
/// append is one entity-group transaction that adds the new rows and moves the head under its ETag, so two hosts never
/// take the same number and a reader that sees entry <c>n</c> sees every entry before it. Entries made from run events
/// carry the event's sequence number and a marker row, so storing a transition's records again (the engine delivers
/// activities at least once) appends nothing twice.
/// </summary>
public sealed class LiveLog
{
    // An entity-group transaction holds at most 100 operations and 4 MiB.
    private const int MaxOperations = 100;
    private const int MaxTransactionChars = 1_000_000;
    private const int MaxPropertyChars = 30_000;
    private const int MaxTextParts = 12;
    private const int MaxAttempts = 20;
    private const int MaxCachedHeads = 10_000;
    private const string HeadKey = "h";
    private const string MarkerPrefix = "e";

    // Entry rows are zero-padded digits, which sort below the marker ("e...") and head ("h") rows.
    private const string EntriesEnd = MarkerPrefix;

    private readonly TableClient _table;
    private readonly LiveSignals _signals;
    private readonly ConcurrentDictionary<string, Head> _heads = new(StringComparer.Ordinal);

    /// <summary>Creates the log of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    /// <param name="signals">Woken after each append, for readers on this host.</param>
    public LiveLog(TableServiceClient tables, TaskHubNames names, LiveSignals signals)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.LiveTable);
        _signals = signals;
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>
    /// Appends entries to a run's log in the order given, numbering them after the run's last entry. Entries with an
    /// <see cref="LiveEntry.EventSequence"/> already appended with the same content are skipped.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="entries">The entries; their <see cref="LiveEntry.Sequence"/> is ignored.</param>
    /// <param name="cancellationToken">Cancels the storage calls; entries may or may not have been appended.</param>
    /// <returns>The run's last sequence number after the append.</returns>
    public Task<long> AppendAsync(string runId, IReadOnlyList<LiveEntry> entries, CancellationToken cancellationToken = default) =>
        AppendAsync(runId, entries, [], cancellationToken);

    /// <summary>
    /// Appends entries as <see cref="AppendAsync(string, IReadOnlyList{LiveEntry}, CancellationToken)"/> does, and upserts
    /// <paramref name="alongside"/>, rows of the run's partition (its events), in the same transaction as the first
    /// entries when they fit, so a transition's events and its live entries cost one storage call. The rows are
    /// upserted even when every entry was appended before.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="entries">The entries; their <see cref="LiveEntry.Sequence"/> is ignored.</param>
    /// <param name="alongside">Rows of partition <paramref name="runId"/> whose keys the log does not use (not digits, not <c>e</c>..., not <c>h</c>).</param>
    /// <param name="cancellationToken">Cancels the storage calls; entries and rows may or may not have been stored.</param>
    /// <returns>The run's last sequence number after the append.</returns>
    internal async Task<long> AppendAsync(string runId, IReadOnlyList<LiveEntry> entries, IReadOnlyList<TableEntity> alongside, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(alongside);
        var sideChars = alongside.Sum(Size);
        if (alongside.Count > MaxOperations / 2 || sideChars > MaxTransactionChars / 2)
        {
            // Too many or too large to share a transaction with the entries: stored on their own first.
            await RunEventStore.UpsertAsync(_table, alongside, cancellationToken).ConfigureAwait(false);
            alongside = [];
            sideChars = 0;
        }

        var last = 0L;
        foreach (var batch in Batches(entries, alongside.Count, sideChars))
        {
            last = await AppendBatchAsync(runId, batch, alongside, cancellationToken).ConfigureAwait(false);
            alongside = [];
        }

        if (alongside.Count > 0)
        {
            // No entries to carry them.
            await RunEventStore.UpsertAsync(_table, alongside, cancellationToken).ConfigureAwait(false);
        }

        return last;
    }

    /// <summary>Reads a run's entries after <paramref name="afterSequence"/>, oldest first.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence number already seen; 0 reads from the start.</param>
    /// <param name="maxCount">The most entries returned.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<LiveEntry>> ReadAsync(string runId, long afterSequence = 0, int maxCount = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var results = new List<LiveEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey gt {RowKey(afterSequence)} and RowKey lt {EntriesEnd}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(maxCount, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(FromEntity(entity));
            if (results.Count >= maxCount)
            {
                break;
            }
        }

        return results;
    }

    /// <summary>The run's last sequence number, 0 when its log is empty.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<long> GetLastSequenceAsync(string runId, CancellationToken cancellationToken = default) =>
        (await ReadHeadAsync(runId, cancellationToken).ConfigureAwait(false)).Sequence;

    /// <summary>Deletes a run's log (when its instance is purged).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task DeleteAsync(string runId, CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId}"), select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(entity.RowKey);
        }

        foreach (var chunk in keys.Chunk(MaxOperations))
        {
            await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(runId, k))), cancellationToken).ConfigureAwait(false);
        }

        _heads.TryRemove(runId, out _);
    }

    private async Task<long> AppendBatchAsync(string runId, IReadOnlyList<LiveEntry> batch, IReadOnlyList<TableEntity> alongside, CancellationToken cancellationToken)
    {
        // First try without reading the markers: a new event's marker is added, so an event stored before makes the
        // transaction fail (409) and the retry reads the markers and skips what is stored. The usual append is then one
        // transaction (and one head read per run and host).
        // A run this host has not appended to is assumed new, so its first append reads no head: if the log exists, the
        // head's insert fails the transaction (409 on its first operation) and the retry reads the head, one call
        // either way.
        var readMarkers = false;
        var guessed = false;
        for (var attempt = 1; ; attempt++)
        {
            Head head;
            if (_heads.TryGetValue(runId, out var cached))
            {
                head = cached;
            }
            else if (attempt == 1)
            {
                head = new Head(0, null);
                guessed = true;
            }
            else
            {
                head = await ReadHeadAsync(runId, cancellationToken).ConfigureAwait(false);
            }

            var fresh = readMarkers
                ? await WithoutStoredEventsAsync(runId, batch, cancellationToken).ConfigureAwait(false)
                : [.. batch.Select(e => (Entry: e, Hash: e.EventSequence is null ? null : Hash(e)))];
            if (fresh.Count == 0)
            {
                await RunEventStore.UpsertAsync(_table, alongside, cancellationToken).ConfigureAwait(false);
                return head.Sequence;
            }

            var next = head.Sequence;
            var actions = new List<TableTransactionAction>(1 + (fresh.Count * 2) + alongside.Count);
            var rows = new List<TableEntity>(fresh.Count);
            var headEntity = new TableEntity(runId, HeadKey) { ["Sequence"] = head.Sequence + fresh.Count };
            actions.Add(head.ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, headEntity, etag)
                : new TableTransactionAction(TableTransactionActionType.Add, headEntity));
            foreach (var (entry, hash) in fresh)
            {
                next++;
                var row = ToEntity(runId, entry with { Sequence = next });
                rows.Add(row);
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, row));
                if (entry.EventSequence is { } eventSequence)
                {
                    actions.Add(new TableTransactionAction(
                        readMarkers ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add,
                        new TableEntity(runId, MarkerKey(eventSequence)) { ["Hash"] = hash, ["Entry"] = next }));
                }
            }

            actions.AddRange(alongside.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)));
            try
            {
                var response = await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                Remember(runId, new Head(next, response.Value[0].Headers.ETag));

                // Readers on this host get the entries as a read would return them, without reading them back.
                _signals.Pulse(runId, _signals.IsFollowed(runId) ? [.. rows.Select(FromEntity)] : []);
                return next;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // 412: another writer (a node on another host, a record activity) moved the head first. 409: a row
                // exists, a head or entry another writer added, or the marker of an event stored before.
                _heads.TryRemove(runId, out _);
                var headTaken = guessed && e.Status == 409 && e.FailedTransactionActionIndex == 0;
                guessed = false;
                readMarkers |= e.Status == 409 && !headTaken && fresh.Any(f => f.Entry.EventSequence is not null);
                if (headTaken)
                {
                    continue;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Entries from run events whose marker holds the same content hash were appended before (a record stored again).
    private async Task<List<(LiveEntry Entry, string? Hash)>> WithoutStoredEventsAsync(string runId, IReadOnlyList<LiveEntry> batch, CancellationToken cancellationToken)
    {
        var hashed = batch.Select(e => (Entry: e, Hash: e.EventSequence is null ? null : Hash(e))).ToList();
        var events = hashed.Where(h => h.Entry.EventSequence is not null).Select(h => h.Entry.EventSequence!.Value).ToList();
        if (events.Count == 0)
        {
            return hashed;
        }

        var stored = new Dictionary<string, string?>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {MarkerKey(events.Min())} and RowKey le {MarkerKey(events.Max())}");
        await foreach (var marker in _table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Hash"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            stored[marker.RowKey] = marker.GetString("Hash");
        }

        return [.. hashed.Where(h => h.Entry.EventSequence is not { } seq || !stored.TryGetValue(MarkerKey(seq), out var hash) || hash != h.Hash)];
    }

    private async Task<Head> ReadHeadAsync(string runId, CancellationToken cancellationToken)
    {
        var head = await _table.GetEntityIfExistsAsync<TableEntity>(runId, HeadKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return head.HasValue && head.Value is { } row ? new Head(row.GetInt64("Sequence") ?? 0, row.ETag) : new Head(0, null);
    }

    private void Remember(string runId, Head head)
    {
        if (_heads.Count >= MaxCachedHeads)
        {
            _heads.Clear();
        }

        _heads[runId] = head;
    }

    // The first batch leaves room for the rows that go alongside it.
    private static IEnumerable<IReadOnlyList<LiveEntry>> Batches(IReadOnlyList<LiveEntry> entries, int reservedOperations, int reservedChars)
    {
        var batch = new List<LiveEntry>();
        var operations = 1 + reservedOperations;
        var chars = reservedChars;
        foreach (var entry in entries)
        {
            var cost = entry.EventSequence is null ? 1 : 2;
            var size = (entry.Text?.Length ?? 0) + (entry.Data?.ValueKind is null or JsonValueKind.Undefined ? 0 : entry.Data.Value.GetRawText().Length) + 200;
            if (batch.Count > 0 && (operations + cost > MaxOperations || chars + size > MaxTransactionChars))
            {
                yield return batch;
                batch = [];
                operations = 1;
                chars = 0;
            }

            batch.Add(entry);
            operations += cost;
            chars += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private static int Size(TableEntity row) => 200 + row.Sum(p => p.Key.Length + (p.Value is string text ? text.Length : 16));

    private static string RowKey(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);

    private static string MarkerKey(long eventSequence) => MarkerPrefix + RowKey(eventSequence);

    private static string Hash(LiveEntry e)
    {
        var text = string.Join(
            '\u001f',
            e.Type,
            e.At.UtcTicks.ToString(CultureInfo.InvariantCulture),
            e.Node,
            e.RequestId,
            e.MessageId,
            e.Text,
            e.Respondent,
            e.Channel,
            e.EventKind,
            e.Data?.GetRawText());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
    }

    private static TableEntity ToEntity(string runId, LiveEntry e)
    {
        var entity = new TableEntity(runId, RowKey(e.Sequence))
        {
            ["Type"] = e.Type.ToString(),

            // Whole milliseconds in UTC, so an entry handed to a reader on this host equals the one read from storage.
            ["At"] = new DateTimeOffset(e.At.UtcTicks - (e.At.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero),
        };
        entity.SetIfPresent("Node", e.Node);
        entity.SetIfPresent("RequestId", e.RequestId);
        entity.SetIfPresent("MessageId", e.MessageId);
        entity.SetIfPresent("Respondent", e.Respondent);
        entity.SetIfPresent("Channel", e.Channel);
        entity.SetIfPresent("EventKind", e.EventKind);
        if (e.EventSequence is { } eventSequence)
        {
            entity["EventSequence"] = eventSequence;
        }

        if (e.Text is { } text)
        {
            // A table property holds 64 KiB (32,768 UTF-16 characters): long text is split across Text, Text1, Text2...
            var parts = (text.Length + MaxPropertyChars - 1) / MaxPropertyChars;
            for (var i = 0; i < Math.Min(parts, MaxTextParts); i++)
            {
                var start = i * MaxPropertyChars;
                entity[i == 0 ? "Text" : "Text" + i.ToString(CultureInfo.InvariantCulture)] = text.Substring(start, Math.Min(MaxPropertyChars, text.Length - start));
            }

            if (parts == 0)
            {
                entity["Text"] = string.Empty;
            }
            else if (parts > MaxTextParts)
            {
                entity["TextOmitted"] = text.Length - (MaxTextParts * MaxPropertyChars);
            }
        }

        var data = e.Data is { ValueKind: not JsonValueKind.Undefined } d ? d.GetRawText() : null;
        if (data is { Length: > MaxPropertyChars })
        {
            // The full value stays in the run's own history and output.
            entity["DataOmitted"] = data.Length;
            data = null;
        }

        entity.SetIfPresent("Data", data);
        return entity;
    }

    private static LiveEntry FromEntity(TableEntity entity)
    {
        string? text = entity.GetString("Text");
        if (text is not null && entity.ContainsKey("Text1"))
        {
            var all = new StringBuilder(text);
            for (var i = 1; entity.GetString("Text" + i.ToString(CultureInfo.InvariantCulture)) is { } part; i++)
            {
                all.Append(part);
            }

            text = all.ToString();
        }

        return new LiveEntry
        {
            Sequence = long.Parse(entity.RowKey, CultureInfo.InvariantCulture),
            Type = Enum.TryParse<LiveEntryType>(entity.GetString("Type"), out var type) ? type : LiveEntryType.Status,
            At = entity.GetDateTimeOffset("At") ?? default,
            Node = entity.GetString("Node"),
            RequestId = entity.GetString("RequestId"),
            MessageId = entity.GetString("MessageId"),
            Text = text,
            Respondent = entity.GetString("Respondent"),
            Channel = entity.GetString("Channel"),
            EventKind = entity.GetString("EventKind"),
            EventSequence = entity.GetInt64("EventSequence"),
            Data = entity.GetString("Data") is { Length: > 0 } data ? JsonDocument.Parse(data).RootElement.Clone() : null,
        };
    }

    private readonly record struct Head(long Sequence, ETag? ETag);
}
