using HumanLoop.Runs;

namespace HumanLoop.Durable.Queues;

/// <summary>What is published to <c>{hub}-human-tasks</c> when a request opens or closes.</summary>
/// <param name="Type"><c>opened</c> or <c>closed</c>.</param>
/// <param name="RunId">The run.</param>
/// <param name="RequestId">The request.</param>
/// <param name="Status">The request's status.</param>
/// <param name="Request">The request, when it opened.</param>
internal sealed record HumanTaskNotice(string Type, string RunId, string RequestId, HumanRequestStatus Status, HumanRequest? Request = null);
