using HumanLoop.TimerProbe;

var settings = ProbeSettings.Parse(args);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var results = await new ProbeRunner(settings, TimeProvider.System, Console.Out).RunAsync(cancel.Token);
return results.All(r => r.Fired == r.Measured) ? 0 : 1;
