using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;

namespace HumanLoop.Functions.Cli;

/// <summary>
/// Pattern 1, prompt-and-wait: runs a graph in process and answers its console requests from a reader (typed or piped).
/// </summary>
internal sealed class ConsoleRunner(TextReader input, TextWriter output, TimeProvider time, bool echoInput)
{
    /// <summary>Exit code: the run completed.</summary>
    public const int Completed = 0;

    /// <summary>Exit code: the run failed or was terminated.</summary>
    public const int RunFailed = 1;

    /// <summary>Exit code: input ended while the run still waited for an answer.</summary>
    public const int InputEnded = 3;

    /// <summary>Runs <paramref name="graph"/> from <paramref name="initialState"/> to the end and returns the exit code.</summary>
    public async Task<int> RunAsync(CompiledGraph graph, JsonElement initialState, Func<JsonElement, string> describe, CancellationToken cancellationToken)
    {
        using var runtime = new InProcessRuntime(time);
        runtime.Register(graph);
        var runId = await runtime.StartAsync(graph.Name, initialState, cancellationToken: cancellationToken);
        var respondent = "console:" + Environment.UserName;
        long seen = 0;
        while (true)
        {
            seen = await ReportAsync(runtime.GetEvents(runId, seen), seen);
            var request = await runtime.NextRequestAsync(runId, HumanChannel.Console, cancellationToken);
            if (request is null)
            {
                break;
            }

            await output.WriteAsync($"{request.Prompt}{Choices(request)} > ");
            await output.FlushAsync(cancellationToken);
            var line = await input.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync($"Input ended while '{request.Node}' was waiting for an answer; the run is terminated.");
                await runtime.TerminateAsync(runId, "console input ended", cancellationToken);
                return InputEnded;
            }

            if (echoInput)
            {
                await output.WriteLineAsync(line);
            }

            var answer = JsonSerializer.SerializeToElement(line, Serialization.HumanLoopJsonContext.Default.String);
            await runtime.RespondAsync(runId, request.Id, answer, respondent, "console", cancellationToken: cancellationToken);
        }

        await ReportAsync(runtime.GetEvents(runId, seen), seen);
        var final = runtime.GetState(runId);
        if (final.Status == RunStatus.Completed)
        {
            await output.WriteLineAsync(describe(final.Output!.Value));
            return Completed;
        }

        await output.WriteLineAsync($"The run {final.Status.ToString().ToLowerInvariant()}: {final.Error}");
        return RunFailed;
    }

    private async Task<long> ReportAsync(IReadOnlyList<RunEvent> events, long seen)
    {
        foreach (var e in events)
        {
            seen = e.Sequence;
            string? line = e.Kind switch
            {
                RunEventKind.InputRejected => $"  Invalid answer: {e.Message}",
                RunEventKind.InputAccepted when e.Respondent == "system:default" => $"  No valid answer after repeated tries; taking the default: {e.Data}.",
                RunEventKind.InputAccepted when e.Respondent == "system:timeout" => $"  No answer in time; taking the default: {e.Data}.",
                RunEventKind.ReminderDue => $"  Reminder: {e.Message}",
                RunEventKind.Escalated => $"  {e.Message}",
                RunEventKind.TimedOut => $"  Timed out: {e.Message}",
                _ => null,
            };
            if (line is not null)
            {
                await output.WriteLineAsync(line);
            }
        }

        return seen;
    }

    private static string Choices(HumanRequest request) =>
        request.Options.IsDefaultOrEmpty ? "" : $" [{string.Join("/", request.Options)}]";
}
