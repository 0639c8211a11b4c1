namespace HumanLoop.Functions.Api;

/// <summary>
/// The links returned when a run starts, with Durable Functions' property names
/// (<c>CreateCheckStatusResponse</c>'s payload). Rewind and restart are not supported and so not offered.
/// </summary>
/// <param name="Id">The run (instance) id.</param>
/// <param name="StatusQueryGetUri">GET: the run's status; also the Location header.</param>
/// <param name="SendEventPostUri">POST: raise an event; replace <c>{eventName}</c> with the event (request) name.</param>
/// <param name="TerminatePostUri">POST: terminate; replace <c>{text}</c> with the reason.</param>
/// <param name="PurgeHistoryDeleteUri">DELETE: purge the finished run and its history.</param>
internal sealed record HttpManagementPayload(
    string Id,
    string StatusQueryGetUri,
    string SendEventPostUri,
    string TerminatePostUri,
    string PurgeHistoryDeleteUri);
