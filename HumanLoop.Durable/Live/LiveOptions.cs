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
    /// The longest wait of an idle reader between two reads of storage: how late, at most, a reader sees what another host
    /// wrote. The default is 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
