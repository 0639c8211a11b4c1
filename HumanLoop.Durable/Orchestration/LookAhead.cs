using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// A node activity sent out to look ahead (see <see cref="NodeActivityInput.LookAhead"/>), and what the run recorded
/// while it was out. Should another message reach the run before the node's completion, the look-ahead stored the
/// records of a transition that did not happen; <see cref="PutRight"/> makes the record that leaves storage as if
/// there had been no look-ahead.
/// </summary>
/// <param name="appliedAtCall">How many messages the run had applied when the node was scheduled.</param>
internal sealed class LookAhead(int appliedAtCall)
{
    private readonly Dictionary<long, RunEvent> _events = [];
    private readonly HashSet<string> _opened = new(StringComparer.Ordinal);

    /// <summary>How many messages the run had applied when the node was scheduled.</summary>
    public int AppliedAtCall { get; } = appliedAtCall;

    /// <summary>
    /// The records the node's activity carried (not those of its look-ahead) when it reported that it stored them but
    /// could not send their notices; null otherwise.
    /// </summary>
    public RecordInput? PendingNotices { get; set; }

    /// <summary>Notes what a transition made while the node was out recorded.</summary>
    /// <param name="record">That transition's record.</param>
    public void Note(RecordInput record)
    {
        ArgumentNullException.ThrowIfNull(record);
        foreach (var e in record.Events.IsDefault ? [] : record.Events)
        {
            _events[e.Sequence] = e;
        }

        _opened.UnionWith(record.Opened.IsDefault ? [] : record.Opened.Select(o => o.Request.Id));
    }

    /// <summary>
    /// <paramref name="record"/> (the transition the node's completion really made), plus every event recorded since
    /// the node was scheduled that the look-ahead wrote over under the same sequence number, written again; and the
    /// withdrawal of the rows the look-ahead stored that no transition made.
    /// </summary>
    /// <param name="record">The record of the node's completion as the run applied it.</param>
    /// <param name="recorded">The keys of what the look-ahead stored.</param>
    public RecordInput PutRight(RecordInput record, RecordKeys recorded)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(recorded);
        var own = record.Events.IsDefault ? [] : record.Events;
        var real = new Dictionary<long, RunEvent>(_events);
        foreach (var e in own)
        {
            real[e.Sequence] = e;
        }

        var opened = new HashSet<string>(_opened, StringComparer.Ordinal);
        opened.UnionWith(record.Opened.IsDefault ? [] : record.Opened.Select(o => o.Request.Id));
        var phantoms = new RecordKeys
        {
            Events = [.. recorded.Events.Where(seq => !real.ContainsKey(seq))],
            Opened = [.. recorded.Opened.Where(id => !opened.Contains(id))],
        };
        var ownSequences = own.Select(e => e.Sequence).ToHashSet();
        var rewrite = recorded.Events.Where(seq => real.ContainsKey(seq) && !ownSequences.Contains(seq)).Select(seq => real[seq]);
        return record with
        {
            Events = [.. own.Concat(rewrite).OrderBy(e => e.Sequence)],
            Withdraw = phantoms.Events.IsEmpty && phantoms.Opened.IsEmpty ? null : phantoms,
        };
    }
}
