using HumanLoop.Durable.Client;

namespace HumanLoop.Durable.Tests.Client;

public sealed class PollingBackoffTests
{
    [Fact]
    public void Next_RepeatedCalls_DoublesFromTwentyMillisecondsUpToTheCeiling()
    {
        var backoff = new PollingBackoff();

        var delays = Enumerable.Range(0, 7).Select(_ => backoff.Next().TotalMilliseconds).ToList();

        Assert.Equal([20, 40, 80, 160, 250, 250, 250], delays);
    }
}
