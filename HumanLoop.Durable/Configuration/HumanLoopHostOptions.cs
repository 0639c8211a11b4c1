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

    /// <summary>Gets or sets whether the notices of human tasks (opened, reminders, escalated, closed) are published to <c>{hub}-human-tasks</c> (<c>publishHumanTasks</c>; default true).</summary>
    public bool? PublishHumanTasks { get; set; }

    /// <summary>Gets or sets how long stopping waits for running nodes to finish before the host stops (<c>shutdownGracePeriod</c>; default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan? ShutdownGracePeriod { get; set; }

    /// <summary>How many messages one orchestration generation applies before it continues as new (extensions.humanLoop.continueAsNewAfter).</summary>
    [Range(2, 10_000)]
    public int? ContinueAsNewAfter { get; set; }

    /// <summary>How long the respond API waits for the orchestration's verdict before answering 202 (extensions.humanLoop.responseTimeout).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan? ResponseTimeout { get; set; }
}
