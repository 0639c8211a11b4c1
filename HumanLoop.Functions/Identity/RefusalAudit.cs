using System.Collections.Concurrent;
using HumanLoop.Durable.Audit;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Functions.Api;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// Audits answers refused before their handler runs, 401 (no valid credentials) and 429 (over the caller's limit),
/// when the route names a task that exists: a refusal of nothing known is not recorded, so guessing ids fills no table.
/// Such refusals cost the caller nothing to repeat, so each (outcome, caller, channel, task) is audited once per
/// callback window on this host, not once per request.
/// </summary>
internal sealed class RefusalAudit(HumanTaskStore tasks, AnswerAuditStore audit, CallbackOptions options, TimeProvider time)
{
    // Bounds the memory of what was audited; past it, the expired entries go, and if none had, all of them.
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _audited = new(StringComparer.Ordinal);

    /// <summary>Audits a refusal of the answer the request carries, when its route names an existing task.</summary>
    /// <param name="context">The refused request; its route values <c>instanceId</c> and <c>requestId</c> name the task.</param>
    /// <param name="outcome"><see cref="AnswerAuditEntry.Unauthorized"/> or <see cref="AnswerAuditEntry.RateLimited"/>.</param>
    /// <param name="respondent">Who is refused, as far as is known.</param>
    /// <param name="caller">The caller's id, which repeats are recognised by.</param>
    /// <param name="channel">The endpoint's channel.</param>
    /// <param name="reason">Why.</param>
    public async Task AuditAsync(HttpContext context, string outcome, string respondent, string caller, string channel, string reason)
    {
        if (context.GetRouteValue("instanceId") is not string runId || context.GetRouteValue("requestId") is not string target
            || InstanceIds.GetProblem(runId) is not null)
        {
            return;
        }

        var now = time.GetUtcNow();
        var key = string.Join('\n', outcome, caller, channel, runId, target);
        if (_audited.TryGetValue(key, out var until) && until > now)
        {
            return;
        }

        if (_audited.Count >= MaxRemembered)
        {
            Forget(now);
        }

        _audited[key] = now + options.Window;
        var cancellationToken = context.RequestAborted;
        var task = await tasks.FindAsync(runId, target, cancellationToken);
        if (task is null)
        {
            return;
        }

        await audit.AppendAsync(
            new AnswerAuditEntry
            {
                RunId = runId,
                RequestId = task.RequestId,
                MessageId = context.Request.Headers[HumanRequestsApi.IdempotencyHeader].FirstOrDefault(),
                Respondent = respondent,
                Channel = channel,
                At = now,
                Outcome = outcome,
                Reason = reason,
                Source = AnswerAuditEntry.ApiSource,
            },
            CancellationToken.None);
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, until) in _audited)
        {
            if (until <= now)
            {
                _audited.TryRemove(key, out _);
            }
        }

        if (_audited.Count >= MaxRemembered)
        {
            _audited.Clear();
        }
    }
}
