using System.Globalization;
using System.Text;

namespace HumanLoop.Durable.Storage;

/// <summary>Counts of storage requests taken from a <see cref="StorageTransactionCounter"/>.</summary>
public sealed class StorageTransactionSnapshot
{
    /// <summary>The HTTP methods counted separately; anything else counts as <c>OTHER</c>.</summary>
    internal static readonly IReadOnlyList<string> Methods =
        ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "MERGE", "OPTIONS", "OTHER"];

    private static readonly StorageService[] Services = Enum.GetValues<StorageService>();

    private readonly long[] _counts;

    internal StorageTransactionSnapshot(long[] counts)
    {
        _counts = counts;
        Total = counts.Sum();
        ByService = Services.ToDictionary(s => s, s => Methods.Select((_, m) => counts[Index(s, m)]).Sum());
        ByMethod = Methods
            .Select((name, m) => (name, count: Services.Sum(s => counts[Index(s, m)])))
            .Where(x => x.count > 0)
            .ToDictionary(x => x.name, x => x.count, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the total number of requests.</summary>
    public long Total { get; }

    /// <summary>Gets the number of requests per service (every service is present, possibly with 0).</summary>
    public IReadOnlyDictionary<StorageService, long> ByService { get; }

    /// <summary>Gets the number of requests per HTTP method, for methods that were used.</summary>
    public IReadOnlyDictionary<string, long> ByMethod { get; }

    /// <summary>Gets the number of requests sent to <paramref name="service"/> with <paramref name="method"/>.</summary>
    /// <param name="service">The storage service.</param>
    /// <param name="method">The HTTP method, such as <c>GET</c> (case-insensitive).</param>
    /// <returns>The count.</returns>
    public long Get(StorageService service, string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return _counts[Index(service, MethodIndex(method))];
    }

    /// <summary>Returns the requests counted after <paramref name="earlier"/> was taken from the same counter.</summary>
    /// <param name="earlier">An earlier snapshot of the same counter (with no reset in between).</param>
    /// <returns>The difference, cell by cell.</returns>
    public StorageTransactionSnapshot Since(StorageTransactionSnapshot earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var diff = new long[_counts.Length];
        for (var i = 0; i < diff.Length; i++)
        {
            diff[i] = _counts[i] - earlier._counts[i];
        }

        return new StorageTransactionSnapshot(diff);
    }

    /// <summary>Formats the counts, for example <c>12 (Table 8: GET 2, POST 6; Queue 4: PUT 4)</c>.</summary>
    /// <returns>A one-line summary.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Total.ToString(CultureInfo.InvariantCulture));
        var parts = new List<string>();
        foreach (var service in Services)
        {
            if (ByService[service] == 0)
            {
                continue;
            }

            var methods = Methods
                .Select((name, m) => (name, count: _counts[Index(service, m)]))
                .Where(x => x.count > 0)
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.name} {x.count}"));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{service} {ByService[service]}: {string.Join(", ", methods)}"));
        }

        if (parts.Count > 0)
        {
            text.Append(" (").AppendJoin("; ", parts).Append(')');
        }

        return text.ToString();
    }

    internal static int MethodIndex(string method)
    {
        for (var i = 0; i < Methods.Count - 1; i++)
        {
            if (string.Equals(Methods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return Methods.Count - 1;
    }

    private static int Index(StorageService service, int method) => ((int)service * Methods.Count) + method;
}
