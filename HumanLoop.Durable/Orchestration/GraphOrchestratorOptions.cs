using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Orchestration;

/// <summary>How the graph orchestrator bounds its history and retries its records.</summary>
public sealed class GraphOrchestratorOptions
{
    /// <summary>
    /// How many messages (node results, answers, timers) one orchestration generation applies before it calls
    /// <c>ContinueAsNew</c> with the run's state, at the next moment no activity is outstanding. The default is 100.
    /// </summary>
    [Range(2, 10_000)]
    public int ContinueAsNewAfter { get; set; } = 100;

    /// <summary>How a record activity (events, task rows, notices) that failed is tried again.</summary>
    public RecordRetryOptions RecordRetry { get; set; } = new();
}

/// <summary>
/// How a failed record activity is tried again: quickly a few times (storage or the mail server blinked), then on a
/// slower durable timer for as long as the run lives, so a notice is never given up while its task can be answered.
/// </summary>
public sealed class RecordRetryOptions
{
    /// <summary>How many attempts are made quickly, the first included. The default is 6 (about a minute in all).</summary>
    [Range(1, 100)]
    public int QuickAttempts { get; set; } = 6;

    /// <summary>The wait after the first failure; it doubles after each quick attempt. The default is 1 second.</summary>
    public TimeSpan FirstInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between quick attempts. The default is 30 seconds.</summary>
    public TimeSpan MaxQuickInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait after the quick attempts are spent; it doubles after each slow attempt. The default is 5 minutes.</summary>
    public TimeSpan SlowInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest wait between slow attempts. The default is 1 hour.</summary>
    public TimeSpan MaxSlowInterval { get; set; } = TimeSpan.FromHours(1);
}
