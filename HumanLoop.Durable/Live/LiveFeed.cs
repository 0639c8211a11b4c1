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
        using var following = _signals.Follow(runId);
        var after = afterSequence;
        var delay = _options.MinPollInterval;
        var mustRead = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before looking: an append or a ring from now on completes it.
            var woken = _signals.NextAsync(runId, after);
            IReadOnlyList<LiveEntry> entries = [];
            var fromStorage = false;
            switch (_signals.TryTake(runId, after, out var handed))
            {
                case LiveTake.Taken:
                    // Appended on this host, handed over as stored: nothing to read back.
                    entries = handed;
                    break;
                case LiveTake.Gap:
                    mustRead = true;
                    break;
            }

            if (entries.Count == 0 && mustRead)
            {
                try
                {
                    entries = await _log.ReadAsync(runId, after, PageSize, cancellationToken).ConfigureAwait(false);
                    fromStorage = true;
                    mustRead = false;
                }
                catch (RequestFailedException e)
                {
                    LogReadFailed(_logger, e, runId);
                    delay = _options.MaxPollInterval;
                }
            }

            foreach (var entry in entries)
            {
                if (entry.Sequence <= after)
                {
                    continue;
                }

                after = entry.Sequence;
                yield return entry;
                if (entry.Type == LiveEntryType.End)
                {
                    yield break;
                }
            }

            if (entries.Count > 0)
            {
                // A full page may have more behind it; a ring that came meanwhile means storage has something new.
                mustRead |= (fromStorage && entries.Count >= PageSize) || woken is { IsCompletedSuccessfully: true, Result: LiveWake.Remote };
                delay = _options.MinPollInterval;
                continue;
            }

            var ceiling = _signals.IsCovered ? _options.CoveredPollInterval : _options.MaxPollInterval;
            delay = delay < ceiling ? delay : ceiling;
            var wake = await WaitAsync(woken, delay, cancellationToken).ConfigureAwait(false);

            // A local append is handed over; a ring, a poll or a failed read before reads storage.
            mustRead |= wake != LiveWake.Local;
            delay *= 2;
        }
    }

    // The wake-up, or null when the poll interval passed first.
    private async Task<LiveWake?> WaitAsync(Task<LiveWake> woken, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var poll = Task.Delay(delay, _time, stop.Token);
        var first = await Task.WhenAny(woken, poll).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == woken ? await woken.ConfigureAwait(false) : null;
    }

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "Run {RunId}: reading the live log failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string runId);
}
