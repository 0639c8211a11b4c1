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
    }
}
