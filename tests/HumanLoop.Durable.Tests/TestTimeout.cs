namespace HumanLoop.Durable.Tests;

/// <summary>A per-test deadline, so a hang fails the test instead of the run.</summary>
internal static class TestTimeout
{
    public static CancellationTokenSource Start(int seconds = 120) => new(TimeSpan.FromSeconds(seconds));
}
