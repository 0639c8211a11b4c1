namespace HumanLoop.Durable.Notifications;

/// <summary>Makes request ids and other free text valid as table partition and row keys.</summary>
internal static class TableKeys
{
    // Keys may not hold '/', '\', '#' or '?'; request ids are built from run ids, which may.
    public static string Escape(string key) =>
        key.Replace("%", "%25", StringComparison.Ordinal)
            .Replace("/", "%2F", StringComparison.Ordinal)
            .Replace("\\", "%5C", StringComparison.Ordinal)
            .Replace("#", "%23", StringComparison.Ordinal)
            .Replace("?", "%3F", StringComparison.Ordinal);
}
