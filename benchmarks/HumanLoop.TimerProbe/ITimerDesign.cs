namespace HumanLoop.TimerProbe;

/// <summary>One way of keeping durable timers in Azure Storage.</summary>
internal interface ITimerDesign
{
    string Name { get; }

    Task PrepareAsync(CancellationToken cancellationToken);

    Task ScheduleAsync(PlannedTimer timer, CancellationToken cancellationToken);

    /// <summary>Polls until <paramref name="done"/> says every measured timer fired; records each firing in <paramref name="measurements"/>.</summary>
    Task RunPollerAsync(Measurements measurements, Func<bool> done, CancellationToken cancellationToken);
}
