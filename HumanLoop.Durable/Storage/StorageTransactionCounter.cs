using Azure.Core;
using Azure.Core.Pipeline;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// A pipeline policy that counts every request sent to storage, by service and by HTTP method.
/// Benchmarks share one instance between the Blob, Queue and Table clients (through
/// <see cref="StorageClientSettings.PerCallPolicy"/>) to report storage transactions per workflow run.
/// </summary>
/// <remarks>
/// Thread-safe and lock-free. Added per call, it counts each logical operation once; a retried
/// operation is still one count. A table entity-group transaction (<c>POST $batch</c>) is one count.
/// </remarks>
public sealed class StorageTransactionCounter : HttpPipelinePolicy
{
    private static readonly StorageService[] Services = Enum.GetValues<StorageService>();

    private readonly long[] _counts = new long[Services.Length * StorageTransactionSnapshot.Methods.Count];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _byResource = new(StringComparer.Ordinal);

    /// <summary>Whether to count requests by method and resource (table, queue or container) too; see <see cref="ByResource"/>.</summary>
    public bool TrackResources { get; init; }

    /// <summary>With <see cref="TrackResources"/>, the counts by <c>"METHOD resource"</c> since creation or the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, long> ByResource => new Dictionary<string, long>(_byResource, StringComparer.Ordinal);

    /// <summary>Gets the number of requests counted since creation or the last <see cref="Reset"/>.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                total += Interlocked.Read(ref _counts[i]);
            }

            return total;
        }
    }

    /// <summary>Reads the current counts without changing them.</summary>
    /// <returns>A consistent-per-cell copy of the counts.</returns>
    public StorageTransactionSnapshot Snapshot()
    {
        var copy = new long[_counts.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Interlocked.Read(ref _counts[i]);
        }

        return new StorageTransactionSnapshot(copy);
    }

    /// <summary>Sets every count to zero and returns the counts it replaced.</summary>
    /// <returns>The counts accumulated up to the reset; none is lost or counted twice.</returns>
    public StorageTransactionSnapshot Reset()
    {
        var copy = new long[_counts.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Interlocked.Exchange(ref _counts[i], 0);
        }

        _byResource.Clear();

        return new StorageTransactionSnapshot(copy);
    }

    /// <inheritdoc/>
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        ProcessNext(message, pipeline);
    }

    /// <inheritdoc/>
    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Count(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var service = (int)StorageServiceTagPolicy.GetService(message);
        var method = StorageTransactionSnapshot.MethodIndex(message.Request.Method.Method);
        Interlocked.Increment(ref _counts[(service * StorageTransactionSnapshot.Methods.Count) + method]);
        if (TrackResources)
        {
            _byResource.AddOrUpdate(message.Request.Method.Method + " " + Resource(message.Request.Uri.Path), 1, (_, n) => n + 1);
        }
    }

    // The table, queue or container a request addresses: the path's first segment after the account (emulator paths
    // start with the account name), without a table's entity keys.
    private static string Resource(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var index = segments.Length > 1 && segments[0].StartsWith("devstoreaccount", StringComparison.Ordinal) ? 1 : 0;
        if (segments.Length <= index)
        {
            return "(account)";
        }

        var resource = segments[index];
        var paren = resource.IndexOf('(', StringComparison.Ordinal);
        return paren > 0 ? resource[..paren] : resource;
    }
}
