using HumanLoop.Functions.Cli;
using HumanLoop.Functions.Hosting;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// Started by the Azure Functions host: an isolated worker. Otherwise the CLI, whose default verb serves the self-hosted app.
if (FunctionsHost.IsLaunchedByHost(args))
{
    return await FunctionsHost.RunAsync(args, cancel.Token);
}

return args.FirstOrDefault() switch
{
    "run" => await CommandLine.RunGraphAsync(args, Console.In, Console.Out, Console.Error, cancel.Token),
    "graph" => await CommandLine.PrintGraphAsync(args, Console.Out, Console.Error),
    "graphs" => await CommandLine.ListGraphsAsync(Console.Out),
    "help" or "--help" or "-h" => Print(CommandLine.Help, 0),
    null or "serve" or ['-', '-', ..] => await ServeCommand.RunAsync(args, cancel.Token),
    _ => Print(CommandLine.Help, CommandLine.Usage),
};

static int Print(string text, int code)
{
    Console.WriteLine(text);
    return code;
}
