using Azure.Data.Tables;

namespace HumanLoop.Durable.TestHost;

/// <summary>A table row per node execution (PartitionKey = run id), written before the node returns, by any process.</summary>
public sealed class ExecutionLog(TableClient table)
{
    public TableClient Table { get; } = table;

    public async Task RecordAsync(string runId, string node, CancellationToken cancellationToken)
    {
        await Table.CreateIfNotExistsAsync(cancellationToken);
        await Table.AddEntityAsync(new TableEntity(runId, $"{node}-{Guid.NewGuid():N}") { ["Node"] = node, ["Pid"] = Environment.ProcessId }, cancellationToken);
    }

    /// <summary>How many times each node of the run executed (empty before any node of the hub ran).</summary>
    public async Task<Dictionary<string, int>> CountAsync(string runId, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await Table.CreateIfNotExistsAsync(cancellationToken);
        await foreach (var row in Table.QueryAsync<TableEntity>(r => r.PartitionKey == runId, cancellationToken: cancellationToken))
        {
            var node = row.GetString("Node");
            counts[node] = counts.GetValueOrDefault(node) + 1;
        }

        return counts;
    }
}
