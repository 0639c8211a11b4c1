namespace HumanLoop.TimerProbe;

/// <summary>One timer to schedule: an id and its due time.</summary>
internal readonly record struct PlannedTimer(string Id, DateTimeOffset Due, bool Measured);

/// <summary>The timers of one scenario, all relative to a start instant.</summary>
internal static class TimerPlan
{
    public static IReadOnlyList<PlannedTimer> Create(string scenario, ProbeSettings settings, DateTimeOffset start)
    {
        var first = start + settings.Lead;
        var timers = new List<PlannedTimer>(settings.Timers);
        switch (scenario)
        {
            case "spread":
                for (var i = 0; i < settings.Timers; i++)
                {
                    timers.Add(new(Id(i), first + (settings.Window * i / settings.Timers), Measured: true));
                }

                break;
            case "burst":
                for (var i = 0; i < settings.Timers; i++)
                {
                    timers.Add(new(Id(i), first, Measured: true));
                }

                break;
            case "backlog":
                // Most timers are far in the future (human timeouts are hours or days away); a few fall due now.
                var near = Math.Min(settings.BacklogNearTimers, settings.Timers);
                for (var i = 0; i < settings.Timers - near; i++)
                {
                    timers.Add(new(Id(i), start + TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(i), Measured: false));
                }

                for (var i = 0; i < near; i++)
                {
                    timers.Add(new(Id(settings.Timers + i), first + (settings.Window * i / near), Measured: true));
                }

                // Interleave so near timers are not all written last.
                var random = new Random(7);
                random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(timers));
                break;
            default:
                throw new ArgumentException($"Unknown scenario '{scenario}': use spread, burst or backlog.");
        }

        return timers;
    }

    private static string Id(int i) => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
