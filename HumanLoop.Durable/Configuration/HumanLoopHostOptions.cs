using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Configuration;

/// <summary>The <c>extensions.humanLoop</c> section of host.json: settings of HumanLoop's own host.</summary>
public sealed class HumanLoopHostOptions
{
    /// <summary>Gets or sets the HTTP port the host listens on (<c>port</c>).</summary>
    /// <value>The default is 7071, the Azure Functions local port. Valid values are 1 to 65535.</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 7071;

    /// <summary>
    /// Gets or sets the folder where a locally launched Azurite keeps its data (<c>azuriteDataFolder</c>).
    /// A relative path is relative to the folder that holds host.json (see <see cref="HostJsonSettings.ResolvePath"/>).
    /// </summary>
    /// <value>The default is <c>.azurite</c>.</value>
    [Required(AllowEmptyStrings = false)]
    public string AzuriteDataFolder { get; set; } = ".azurite";

    // The runtime settings below are null unless host.json sets them; null keeps the default of
    // DurableHumanLoopOptions. Their ranges are DurableHumanLoopOptions' too, checked here so that a
    // mistake is reported with its host.json path.

    /// <summary>Gets or sets whether opened and closed human requests are published to <c>{hub}-human-tasks</c> (<c>publishHumanTasks</c>; default true).</summary>
    public bool? PublishHumanTasks { get; set; }

    /// <summary>Gets or sets how old committed, undispatched work must be before another writer takes it over (<c>recoveryAge</c>; default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan? RecoveryAge { get; set; }

    /// <summary>Gets or sets how often abandoned work is looked for (<c>recoverySweepInterval</c>; default 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan? RecoverySweepInterval { get; set; }

    /// <summary>Gets or sets how often the timer table is read (<c>timerPollingInterval</c>; default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:10:00")]
    public TimeSpan? TimerPollingInterval { get; set; }

    /// <summary>Gets or sets how far ahead timers are read and held in memory (<c>timerLookahead</c>; default 5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan? TimerLookahead { get; set; }

    /// <summary>Gets or sets how long stopping waits for running nodes before handing them to other hosts (<c>shutdownGracePeriod</c>; default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan? ShutdownGracePeriod { get; set; }

    /// <summary>Gets or sets how many runs are cached in memory (<c>runCacheCapacity</c>; default 2,000; 0 turns the cache off).</summary>
    [Range(0, 1_000_000)]
    public int? RunCacheCapacity { get; set; }
}
