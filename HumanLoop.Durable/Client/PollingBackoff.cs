namespace HumanLoop.Durable.Client;

/// <summary>
/// The delays between status reads while a caller waits on an instance: short at first, because a person is often
/// waiting and most steps finish within a few polls, then doubling up to a ceiling that bounds both the added latency
/// and the storage transactions of a long wait.
/// </summary>
internal struct PollingBackoff
{
    /// <summary>The first delay.</summary>
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(20);

    /// <summary>The longest delay.</summary>
    public static readonly TimeSpan Ceiling = TimeSpan.FromMilliseconds(250);

    private TimeSpan _next;

    /// <summary>Returns the next delay: 20, 40, 80, 160, then 250 ms from then on.</summary>
    public TimeSpan Next()
    {
        var delay = _next == TimeSpan.Zero ? Initial : _next;
        _next = delay * 2 < Ceiling ? delay * 2 : Ceiling;
        return delay;
    }
}
