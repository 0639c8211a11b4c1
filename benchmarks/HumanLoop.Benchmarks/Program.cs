using HumanLoop.Benchmarks;

return args.FirstOrDefault() switch
{
    "inproc" => await InProcBenchmark.RunAsync(args),
    "durable" => await DurableBenchmark.RunAsync(args),
    "waiting" => await WaitingBenchmark.RunAsync(args),
    "live" => await LiveBenchmark.RunAsync(args),
    "callbacks" => await CallbacksBenchmark.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("Usage: dotnet run -c Release --project benchmarks/HumanLoop.Benchmarks -- <inproc|durable|waiting|live|callbacks> [runs]");
    return 64;
}
