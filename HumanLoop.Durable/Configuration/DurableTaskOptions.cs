using System.ComponentModel.DataAnnotations;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Configuration;

/// <summary>
/// The <c>extensions.durableTask</c> section of host.json, with Durable Functions' key names.
/// </summary>
public sealed class DurableTaskOptions : IValidatableObject
{
    /// <summary>
    /// Gets or sets the task hub name (<c>hubName</c>): 3-45 letters and digits, starting with a letter.
    /// Every table, queue and container name of the hub is derived from it (see <see cref="TaskHubNames"/>).
    /// </summary>
    /// <value>The default is <c>HumanLoopHub</c>.</value>
    [Required]
    public string HubName { get; set; } = TaskHubNames.DefaultHubName;

    /// <summary>
    /// Gets or sets how many nodes one host executes at once (<c>maxConcurrentActivityFunctions</c>: nodes are the
    /// activities of a HumanLoop orchestration). Null keeps the runtime's default, 100.
    /// </summary>
    [Range(1, 10_000)]
    public int? MaxConcurrentActivityFunctions { get; set; }

    /// <summary>Gets or sets how many orchestrations one host runs at once (<c>maxConcurrentOrchestratorFunctions</c>); null keeps the runtime default.</summary>
    [Range(1, 10_000)]
    public int? MaxConcurrentOrchestratorFunctions { get; set; }

    /// <summary>Gets or sets whether orchestrations stay in memory between episodes (<c>extendedSessionsEnabled</c>); null keeps the runtime default.</summary>
    public bool? ExtendedSessionsEnabled { get; set; }

    /// <summary>Gets or sets how long an idle extended session is kept, in seconds (<c>extendedSessionIdleTimeoutInSeconds</c>); null keeps the runtime default.</summary>
    [Range(1, 3600)]
    public int? ExtendedSessionIdleTimeoutInSeconds { get; set; }

    /// <summary>Gets or sets the <c>storageProvider</c> subsection.</summary>
    /// <value>The default is a <see cref="StorageProviderOptions"/> with every default.</value>
    [Required]
    public StorageProviderOptions StorageProvider { get; set; } = new();

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var problem = HubName is null ? null : TaskHubNames.GetHubNameProblem(HubName);
        if (problem is not null)
        {
            yield return new ValidationResult(problem, [nameof(HubName)]);
        }
    }
}
