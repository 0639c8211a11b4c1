using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Serialization;

namespace HumanLoop.Benchmarks;

public sealed record Article(string Topic, string? Draft = null, bool? Approved = null, string? Reviewer = null, bool Published = false);

[JsonSerializable(typeof(Article))]
internal sealed partial class ArticleJson : JsonSerializerContext;

/// <summary>
/// The in-process cost of one human-in-the-loop run: draft node, review step waiting for a person, the answer,
/// publish node, END. Each step goes through the run machine, and the run state is serialised and read back after
/// every transition, as the durable runtime stores it; when the answer arrives the run is read back from those bytes,
/// as a host does after a wait.
/// </summary>
internal static class InProcBenchmark
{
    public static CompiledGraph<Article> Graph { get; } = new StateGraph<Article>("review", ArticleJson.Default.Article)
        .AddNode("draft", s => s with { Draft = $"A short article about {s.Topic}." })
        .AddHumanNode("review", new ApprovalStep<Article>
        {
            Prompt = s => $"Publish this draft? {s.Draft}",
            Assignees = [Assignee.Role("editor")],
            Timeout = new TimeoutPolicy { Reminders = [TimeSpan.FromHours(4)], After = TimeSpan.FromDays(2), OnTimeout = TimeoutAction.FailRun },
            Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
        })
        .AddNode("publish", s => s with { Published = true })
        .SetEntryPoint("draft")
        .AddEdge("draft", "review")
        .AddConditionalEdges("review", s => s.Approved == true ? "publish" : HumanLoop.Graphs.Graph.End)
        .AddEdge("publish", HumanLoop.Graphs.Graph.End)
        .Compile();

    public static async Task<int> RunAsync(string[] args)
    {
        int runs = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) ? n : 20_000;
        var input = Graph.ToJson(new Article("durable human steps"));
        var approve = JsonSerializer.SerializeToElement("approve", HumanLoopJsonContext.Default.String);
        var now = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

        for (int i = 0; i < Math.Max(2_000, runs / 10); i++)
        {
            await OneRunAsync(i, input, approve, now);
        }

        GC.Collect();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        int events = 0;
        for (int i = 0; i < runs; i++)
        {
            events += await OneRunAsync(i, input, approve, now);
        }

        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        double us = clock.Elapsed.TotalMicroseconds / runs;
        double perSecond = runs / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"inproc: {runs} runs of draft -> review (human) -> publish -> END, state serialised after every transition and read back when the answer arrives");
        Console.WriteLine($"  {perSecond:N0} runs/s, {us:N1} us/run (CPU {cpu.TotalMicroseconds / runs:N1} us/run), {allocated / runs / 1024.0:N1} KiB allocated/run, {events / runs} events/run");
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"inproc\",\"runs\":{runs},\"runsPerSecond\":{perSecond:F0},\"microsecondsPerRun\":{us:F1},\"cpuMicrosecondsPerRun\":{cpu.TotalMicroseconds / runs:F1},\"allocatedBytesPerRun\":{allocated / runs}}}"));
        return 0;
    }

    /// <summary>Drives one run to completion the way a host does: apply, persist, carry out effects, answer the request.</summary>
    private static async Task<int> OneRunAsync(int i, JsonElement input, JsonElement approve, DateTimeOffset now)
    {
        var runId = "run-" + i.ToString(CultureInfo.InvariantCulture);
        var state = RunState.Create(runId, Graph.Name);
        var pending = new Queue<RunMessage>();
        pending.Enqueue(new StartRun(input));
        int events = 0;
        byte[] stored = [];
        while (pending.TryDequeue(out var message))
        {
            if (message is HumanResponse)
            {
                // The answer comes after a wait: like the durable host, read the run back from what was stored.
                state = JsonSerializer.Deserialize(stored, HumanLoopJsonContext.Default.RunState)!;
            }

            var t = RunMachine.Apply(Graph, state, message, now);
            state = t.State;
            stored = JsonSerializer.SerializeToUtf8Bytes(state, HumanLoopJsonContext.Default.RunState);
            foreach (var effect in t.Effects)
            {
                switch (effect)
                {
                    case AppendEvent append:
                        events++;
                        _ = JsonSerializer.SerializeToUtf8Bytes(append.Event, HumanLoopJsonContext.Default.RunEvent);
                        break;
                    case RunNode node:
                        var output = await Graph.ExecuteNodeAsync(node.Node, node.State, new NodeContext(runId, node.Node, node.Attempt, null, CancellationToken.None));
                        pending.Enqueue(new NodeCompleted(node.TaskId, output));
                        break;
                    case OpenHumanRequest open:
                        pending.Enqueue(new HumanResponse(runId + ":answer", open.Request.Id, approve, "user:editor", "bench"));
                        break;
                }
            }
        }

        if (state.Status != RunStatus.Completed)
        {
            throw new InvalidOperationException($"Run {runId} ended {state.Status}: {state.Error}");
        }

        return events;
    }

}
