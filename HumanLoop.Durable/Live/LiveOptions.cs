using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Live;

/// <summary>How agent output is written to the live log and how readers tail it. Bound from <c>HumanLoop:Live</c>.</summary>
public sealed class LiveOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "HumanLoop:Live";

    /// <summary>
    /// The least time between two writes of one node's streamed output: tokens said meanwhile go in the next write, so
    /// a streamed message costs about one table transaction per interval, not one per token. The first piece is written
    /// at once. The default is 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The first wait of a reader that found nothing new, doubled after each empty read up to <see cref="MaxPollInterval"/>.
    /// Writes on the reader's own host wake it at once. The default is 50 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The longest wait of an idle reader between two reads of storage while the doorbell does not yet cover every other
    /// host (it has just started listening, or cannot reach storage): how late, at most, a reader then sees what another
    /// host wrote. The default is 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait of an idle reader between two reads of storage while the doorbell covers every other host
    /// (<see cref="LiveDoorbell"/>): a safety net only, as each append wakes its readers on every host. The default is 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:30:00")]
    public TimeSpan CoveredPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a host with live readers reads the doorbell for other hosts' appends: the most a reader waits, beyond the
    /// storage calls, for what another host wrote. One read per interval per host, however many readers it has. The
    /// default is 50 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan WakePollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often a host renews its listener row while it has live readers, and re-reads which other hosts have. A host
    /// that starts listening is covered by the doorbell once every other host has re-read, after twice this interval.
    /// The default is 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ListenerRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
