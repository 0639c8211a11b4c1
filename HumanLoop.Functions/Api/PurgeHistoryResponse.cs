namespace HumanLoop.Functions.Api;

/// <summary>The result of a purge, as Durable Functions returns it.</summary>
/// <param name="InstancesDeleted">How many runs were deleted.</param>
internal sealed record PurgeHistoryResponse(int InstancesDeleted);
