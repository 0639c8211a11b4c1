using HumanLoop.Benchmarks;

return args.FirstOrDefault() switch
{
    "inproc" => await InProcBenchmark.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("Usage: dotnet run -c Release --project benchmarks/HumanLoop.Benchmarks -- <inproc> [runs]");
    return 64;
}
