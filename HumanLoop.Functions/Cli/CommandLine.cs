using System.Text.Json;
using HumanLoop.Functions.Samples;

namespace HumanLoop.Functions.Cli;

/// <summary>The app's verbs. Each returns the process exit code.</summary>
internal static class CommandLine
{
    /// <summary>Exit code for a wrong command line.</summary>
    public const int Usage = 64;

    public static string Help =>
        """
        HumanLoop: durable human steps for agent graphs.

        Usage:
          HumanLoop.Functions [serve] [--urls <url>]         serve the HTTP API (the default; Azurite is started when needed)
          HumanLoop.Functions run <graph> [--input <json>]   run a graph in this console (prompt-and-wait)
          HumanLoop.Functions graph <graph>                  print a graph as a Mermaid flowchart
          HumanLoop.Functions graphs                         list the sample graphs
        """;

    public static async Task<int> RunGraphAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Length < 2 || !SampleGraphs.ByName.TryGetValue(args[1], out var sample))
        {
            await stderr.WriteLineAsync(args.Length < 2
                ? "Name the graph to run, for example: run travel"
                : $"Unknown graph '{args[1]}'. Graphs: {string.Join(", ", SampleGraphs.ByName.Keys)}.");
            return Usage;
        }

        var state = sample.DefaultInput;
        int inputAt = Array.IndexOf(args, "--input");
        if (inputAt > 0)
        {
            if (inputAt + 1 >= args.Length)
            {
                await stderr.WriteLineAsync("--input needs a JSON object, for example --input '{\"destination\":\"Porto\"}'.");
                return Usage;
            }

            try
            {
                state = JsonDocument.Parse(args[inputAt + 1]).RootElement;
            }
            catch (JsonException e)
            {
                await stderr.WriteLineAsync($"--input is not valid JSON: {e.Message}");
                return Usage;
            }
        }

        var runner = new ConsoleRunner(stdin, stdout, TimeProvider.System, echoInput: Console.IsInputRedirected);
        return await runner.RunAsync(sample.Graph, state, sample.Describe, cancellationToken);
    }

    public static async Task<int> PrintGraphAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || !SampleGraphs.ByName.TryGetValue(args[1], out var sample))
        {
            await stderr.WriteLineAsync($"Name a graph: {string.Join(", ", SampleGraphs.ByName.Keys)}.");
            return Usage;
        }

        await stdout.WriteAsync(sample.Graph.ToMermaid());
        return 0;
    }

    public static async Task<int> ListGraphsAsync(TextWriter stdout)
    {
        foreach (var (name, sample) in SampleGraphs.ByName)
        {
            await stdout.WriteLineAsync($"{name}: {string.Join(" -> ", sample.Graph.Nodes)}");
        }

        return 0;
    }
}
