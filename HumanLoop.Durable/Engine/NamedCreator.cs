using DurableTask.Core;

namespace HumanLoop.Durable.Engine;

/// <summary>
/// Registers an orchestration or activity on DurableTask.Core's <see cref="TaskHubWorker"/> under a name (no version),
/// creating a new instance for every work item.
/// </summary>
/// <typeparam name="T"><see cref="TaskOrchestration"/> or <see cref="TaskActivity"/>.</typeparam>
public sealed class NamedCreator<T> : ObjectCreator<T>
{
    private readonly Func<T> _create;

    /// <summary>Creates the registration.</summary>
    /// <param name="name">The orchestration or activity name.</param>
    /// <param name="create">Makes one instance, for example through the SDK's <c>DurableTaskShimFactory</c>.</param>
    public NamedCreator(string name, Func<T> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(create);
        Name = name;
        Version = string.Empty;
        _create = create;
    }

    /// <inheritdoc/>
    public override T Create() => _create();
}
