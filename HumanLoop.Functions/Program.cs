using HumanLoop.Functions.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return args.FirstOrDefault() switch
{
    "run" => await CommandLine.RunGraphAsync(args, Console.In, Console.Out, Console.Error, cancel.Token),
    "graph" => await CommandLine.PrintGraphAsync(args, Console.Out, Console.Error),
    "graphs" => await CommandLine.ListGraphsAsync(Console.Out),
    "help" or "--help" or "-h" => Print(CommandLine.Help, 0),
    null or "serve" or ['-', '-', ..] => await HumanLoop.Functions.Hosting.ServeCommand.RunAsync(args, cancel.Token),
    _ => Print(CommandLine.Help, CommandLine.Usage),
};

static int Print(string text, int code)
{
    Console.WriteLine(text);
    return code;
}
