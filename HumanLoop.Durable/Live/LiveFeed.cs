using System.Runtime.CompilerServices;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Live;

/// <summary>
/// Follows a run's live log: every entry after a sequence number, in order, then each new one as it is appended, by
/// this host or any other: woken at once by this host's appends and by the doorbell's rings for other hosts'
/// (<see cref="LiveDoorbell"/>), and found by polling otherwise, with a back-off from <see cref="LiveOptions.MinPollInterval"/>
/// to <see cref="LiveOptions.MaxPollInterval"/>, or to <see cref="LiveOptions.CoveredPollInterval"/> while the doorbell
/// covers every other host. Storage is the only source, so what a reader sees does not depend on
/// the host it is connected to, and resuming from the last sequence number seen gives exactly what was missed.
/// </summary>
public sealed partial class LiveFeed
{
    private const int PageSize = 500;

    private readonly LiveLog _log;
    private readonly LiveSignals _signals;
    private readonly LiveOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveFeed> _logger;

    /// <summary>Creates the feed.</summary>
    /// <param name="log">The live log.</param>
    /// <param name="signals">This host's append signals.</param>
    /// <param name="options">The poll intervals.</param>
    /// <param name="time">The clock the polls wait on.</param>
    /// <param name="logger">Where failed reads are logged.</param>
    public LiveFeed(LiveLog log, LiveSignals signals, IOptions<LiveOptions> options, TimeProvider time, ILogger<LiveFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _log = log;
        _signals = signals;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The live log this feed reads.</summary>
    public LiveLog Log => _log;

    /// <summary>
    /// The run's entries after <paramref name="afterSequence"/>, then each new one as it comes; the sequence ends after
    /// the run's <see cref="LiveEntryType.End"/> entry. A storage read that fails is retried after the longest poll interval.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence number the reader has; 0 from the start.</param>
    /// <param name="cancellationToken">Stops following.</param>
    public async IAsyncEnumerable<LiveEntry> FollowAsync(string runId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var following = _signals.Follow();
        var after = afterSequence;
        var delay = _options.MinPollInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before the read: an append between the read and the wait still wakes this reader.
            var appended = _signals.NextAsync(runId);
            IReadOnlyList<LiveEntry> entries;
            try
            {
                entries = await _log.ReadAsync(runId, after, PageSize, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e)
            {
                LogReadFailed(_logger, e, runId);
                entries = [];
                delay = _options.MaxPollInterval;
            }

            foreach (var entry in entries)
            {
                after = entry.Sequence;
                yield return entry;
                if (entry.Type == LiveEntryType.End)
                {
                    yield break;
                }
            }

            if (entries.Count > 0)
            {
                delay = _options.MinPollInterval;
                continue;
            }

            var ceiling = _signals.IsCovered ? _options.CoveredPollInterval : _options.MaxPollInterval;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks, ceiling.Ticks));
            await WaitAsync(appended, delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Math.Max(_options.MaxPollInterval.Ticks, _options.CoveredPollInterval.Ticks)));
        }
    }

    private async Task WaitAsync(Task appended, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var poll = Task.Delay(delay, _time, stop.Token);
        await Task.WhenAny(appended, poll).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "Run {RunId}: reading the live log failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string runId);
}
