using HumanLoop.Graphs;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Core.Tests.Runtime;

public sealed class RetryTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly InProcessRuntime _runtime;
    private int _calls;

    public RetryTests() => _runtime = new InProcessRuntime(_time);

    public void Dispose() => _runtime.Dispose();

    private CompiledGraph<Doc> Flaky(int failures, RetryPolicy retry) =>
        new StateGraph<Doc>("flaky", TestJson.Default.Doc)
            .AddNode("call", (s, ctx) =>
            {
                _calls++;
                if (ctx.Attempt <= failures)
                {
                    throw new InvalidOperationException($"boom {ctx.Attempt}");
                }

                return Task.FromResult(s with { Counter = ctx.Attempt });
            }, retry)
            .SetEntryPoint("call")
            .AddEdge("call", Graph.End)
            .Compile();

    [Fact]
    public async Task Retry_WithBackoff_WaitsEachDelayThenSucceeds()
    {
        var retry = new RetryPolicy { MaxAttempts = 4, FirstRetryInterval = TimeSpan.FromSeconds(10), BackoffCoefficient = 3 };
        var id = await _runtime.StartAsync(Flaky(2, retry), new Doc());

        Assert.Equal(1, _calls);
        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(1, _calls);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, _calls);
        _time.Advance(TimeSpan.FromSeconds(29.9));
        Assert.Equal(2, _calls);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(3, _calls);

        var state = _runtime.GetState(id);
        Assert.Equal(RunStatus.Completed, state.Status);
        Assert.Equal(3, state.Output!.Value.GetProperty("counter").GetInt32());
        Assert.Equal(2, _runtime.GetEvents(id).Count(e => e.Kind == RunEventKind.NodeFailed));
    }

    [Fact]
    public async Task Retry_Exhausted_FailsWithAttemptsAndLastError()
    {
        var retry = new RetryPolicy { MaxAttempts = 2, FirstRetryInterval = TimeSpan.Zero };
        var id = await _runtime.StartAsync(Flaky(5, retry), new Doc());

        Assert.Equal(2, _calls);
        Assert.Equal("Node 'call' failed after 2 attempts: boom 2", _runtime.GetState(id).Error);
    }

    [Fact]
    public async Task Retry_HandlePredicateRefuses_FailsAtOnce()
    {
        var retry = new RetryPolicy { MaxAttempts = 5, Handle = e => e is TimeoutException };
        var id = await _runtime.StartAsync(Flaky(5, retry), new Doc());

        Assert.Equal(1, _calls);
        Assert.Equal(RunStatus.Failed, _runtime.GetState(id).Status);
    }

    [Fact]
    public void DelayAfter_GrowsByCoefficientAndIsCapped()
    {
        var retry = new RetryPolicy { FirstRetryInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaxRetryInterval = TimeSpan.FromSeconds(5) };

        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)],
            Enumerable.Range(1, 4).Select(retry.DelayAfter).ToArray());
    }
}
