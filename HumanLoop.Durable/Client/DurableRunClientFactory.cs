using HumanLoop.Durable.Audit;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.RunEvents;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Client;

/// <summary>
/// Makes a <see cref="DurableRunClient"/> for a <see cref="DurableTaskClient"/>: once for the self-hosted engine's
/// client, or per invocation for the <c>[DurableClient]</c> an Azure Functions trigger receives.
/// </summary>
public sealed class DurableRunClientFactory
{
    private readonly IGraphCatalog _graphs;
    private readonly HumanTaskStore _tasks;
    private readonly RunEventStore _events;
    private readonly AnswerAuditStore _audit;
    private readonly TimeProvider _time;
    private readonly TimeSpan _responseTimeout;
    private readonly LiveLog? _live;

    /// <summary>Creates the factory.</summary>
    /// <param name="graphs">The registered graphs.</param>
    /// <param name="tasks">The human-task store.</param>
    /// <param name="events">The run-event store.</param>
    /// <param name="audit">The audit of answers refused before they reach a run.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">The hub's options (the respond API's wait).</param>
    /// <param name="live">The live log, if the host has one.</param>
    public DurableRunClientFactory(IGraphCatalog graphs, HumanTaskStore tasks, RunEventStore events, AnswerAuditStore audit, TimeProvider time, IOptions<DurableHumanLoopOptions> options, LiveLog? live = null)
    {
        _live = live;
        ArgumentNullException.ThrowIfNull(options);
        _graphs = graphs;
        _tasks = tasks;
        _events = events;
        _audit = audit;
        _time = time;
        _responseTimeout = options.Value.ResponseTimeout;
    }

    /// <summary>Creates a run client over <paramref name="client"/>.</summary>
    /// <param name="client">The engine's client.</param>
    /// <returns>The run client.</returns>
    public IDurableRunClient Create(DurableTaskClient client) => new DurableRunClient(client, _graphs, _tasks, _events, _audit, _time, _responseTimeout, _live);
}
