using System.ComponentModel.DataAnnotations;
using Azure.Core.Pipeline;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// How <see cref="StorageAccountFactory"/> configures the Blob, Queue and Table clients it creates.
/// The defaults retry a few times quickly and give up within seconds, so a storage outage surfaces
/// as an exception instead of a call that hangs for minutes.
/// </summary>
public sealed class StorageClientSettings
{
    /// <summary>
    /// An optional policy added per call to every client's pipeline, for example a
    /// <see cref="StorageTransactionCounter"/> shared by all three clients.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public HttpPipelinePolicy? PerCallPolicy { get; init; }

    /// <summary>
    /// How many times a failed request is retried (network errors, 408, 429, 500, 502, 503, 504).
    /// </summary>
    /// <value>The default is 3.</value>
    [Range(0, 10)]
    public int MaxRetries { get; init; } = 3;

    /// <summary>
    /// The first retry delay; later delays grow exponentially with jitter.
    /// </summary>
    /// <value>The default is 200 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest delay between retries.
    /// </summary>
    /// <value>The default is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one HTTP attempt may take before it is abandoned and retried.
    /// </summary>
    /// <value>The default is 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The application id sent in the User-Agent header.
    /// </summary>
    /// <value>The default is <c>HumanLoop</c>.</value>
    [StringLength(24)]
    public string? ApplicationId { get; init; } = "HumanLoop";

    /// <summary>The settings used when none are given.</summary>
    public static StorageClientSettings Default { get; } = new();
}
