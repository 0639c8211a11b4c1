using HumanLoop.Runs;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>A filter over human tasks.</summary>
public sealed record HumanTaskQuery
{
    /// <summary>Only this run's tasks (a single-partition read). The default is every run.</summary>
    public string? RunId { get; init; }

    /// <summary>Only tasks in this state. The default is any.</summary>
    public HumanRequestStatus? Status { get; init; }

    /// <summary>Only tasks that name this assignee (<c>user:NAME</c> or <c>role:NAME</c>). The default is anyone.</summary>
    public string? Assignee { get; init; }

    /// <summary>The most tasks returned. The default is 100.</summary>
    public int Top { get; init; } = 100;
}
