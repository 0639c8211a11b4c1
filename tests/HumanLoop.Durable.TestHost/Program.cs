using HumanLoop.Durable.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A task-hub host in its own process, for tests that kill it: HumanLoop.Durable.TestHost <connection string> <hub>.
if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: HumanLoop.Durable.TestHost <connection string> <hub>");
    return 64;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Enum.Parse<LogLevel>(Environment.GetEnvironmentVariable("HUMANLOOP_TESTHOST_LOGLEVEL") ?? "Warning"));
builder.Services.AddTestHub(args[0], args[1]);
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("READY " + Environment.ProcessId);
await host.WaitForShutdownAsync();
return 0;
