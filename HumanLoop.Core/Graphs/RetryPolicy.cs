using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Graphs;

/// <summary>
/// How a failing node is retried, in the terms of Durable Functions' <c>RetryOptions</c>:
/// the delay before attempt <c>n + 1</c> is <c>FirstRetryInterval * BackoffCoefficient^(n - 1)</c>, capped by <see cref="MaxRetryInterval"/>.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>A policy that runs a node once and never retries it.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>The total number of attempts, the first included. The default is 3.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The delay before the first retry. The default is 1 second; zero retries at once.</summary>
    public TimeSpan FirstRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The factor each further delay is multiplied by. The default is 2.</summary>
    [Range(1.0, 100.0)]
    public double BackoffCoefficient { get; init; } = 2.0;

    /// <summary>The longest delay between attempts. The default is 1 minute.</summary>
    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Decides whether an exception is worth retrying. The default (<see langword="null"/>) retries every exception
    /// except <see cref="OperationCanceledException"/>.
    /// </summary>
    public Func<Exception, bool>? Handle { get; init; }

    /// <summary>The delay to wait after <paramref name="failedAttempts"/> failed attempts.</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        double ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, failedAttempts - 1);
        return ticks >= MaxRetryInterval.Ticks ? MaxRetryInterval : TimeSpan.FromTicks((long)ticks);
    }

    internal bool ShouldRetry(Exception exception) =>
        exception is not OperationCanceledException && (Handle?.Invoke(exception) ?? true);

    internal void Validate(string node, List<string> problems)
    {
        if (MaxAttempts < 1)
        {
            problems.Add($"Node '{node}': retry policy MaxAttempts must be at least 1 (was {MaxAttempts}).");
        }

        if (FirstRetryInterval < TimeSpan.Zero || MaxRetryInterval < TimeSpan.Zero || BackoffCoefficient < 1.0)
        {
            problems.Add($"Node '{node}': retry policy intervals must not be negative and BackoffCoefficient must be at least 1.");
        }
    }
}
