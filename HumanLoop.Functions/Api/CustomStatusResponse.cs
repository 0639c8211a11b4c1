using HumanLoop.Runs;

namespace HumanLoop.Functions.Api;

/// <summary>A run's custom status: the human requests it waits for.</summary>
/// <param name="OpenRequests">The open requests; each id is also the event name that answers it.</param>
internal sealed record CustomStatusResponse(IReadOnlyList<HumanRequest> OpenRequests);
