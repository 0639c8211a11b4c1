namespace HumanLoop.Durable.Callbacks;

/// <summary>The first outcome of a callback sent with an <c>Idempotency-Key</c>, kept so that a retry gets it again.</summary>
public sealed record IdempotencyRecord
{
    /// <summary>Who sent it (the caller's partition of the key space).</summary>
    public required string Caller { get; init; }

    /// <summary>The key as sent.</summary>
    public required string Key { get; init; }

    /// <summary>A hash of what the first request asked (its target and body), so a different request under the same key is recognised.</summary>
    public required string RequestHash { get; init; }

    /// <summary>The HTTP status of the first outcome.</summary>
    public required int StatusCode { get; init; }

    /// <summary>The content type of the first outcome's body.</summary>
    public string? ContentType { get; init; }

    /// <summary>The first outcome's body.</summary>
    public required string Body { get; init; }

    /// <summary>When the first outcome was recorded.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
