using System.Globalization;

namespace HumanLoop.TimerProbe;

/// <summary>What to measure: how many timers, when they fall due, how often the idle poller looks.</summary>
internal sealed record ProbeSettings
{
    public int Timers { get; init; } = 4000;

    /// <summary>Time between the start of scheduling and the first due time; scheduling must finish within it.</summary>
    public TimeSpan Lead { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Due times are spread evenly over this window (the spread and backlog scenarios).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an idle poller waits before looking again; a busy one looks again at once.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Concurrent storage calls while scheduling and while claiming fired timers.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Near-term timers in the backlog scenario (the rest are due an hour later).</summary>
    public int BacklogNearTimers { get; init; } = 200;

    public IReadOnlyList<string> Scenarios { get; init; } = ["spread", "burst", "backlog"];

    public IReadOnlyList<string> Designs { get; init; } = ["queue", "table"];

    public static ProbeSettings Parse(string[] args)
    {
        var settings = new ProbeSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--timers" => settings with { Timers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--lead" => settings with { Lead = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--window" => settings with { Window = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--poll" => settings with { PollInterval = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--concurrency" => settings with { Concurrency = int.Parse(value, CultureInfo.InvariantCulture) },
                "--near" => settings with { BacklogNearTimers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--scenarios" => settings with { Scenarios = value.Split(',') },
                "--designs" => settings with { Designs = value.Split(',') },
                _ => throw new ArgumentException(
                    $"Unknown option {args[i]}. Options: --timers N --lead s --window s --poll ms --concurrency N --near N " +
                    "--scenarios spread,burst,backlog --designs queue,table"),
            };
            i++;
        }

        return settings;
    }
}
