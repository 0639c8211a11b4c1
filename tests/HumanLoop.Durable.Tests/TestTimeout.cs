namespace HumanLoop.Durable.Tests;

/// <summary>A per-test deadline, so a hang fails the test instead of the run.</summary>
internal static class TestTimeout
{
    public static CancellationTokenSource Start(int seconds = 120) => new(TimeSpan.FromSeconds(seconds));

    /// <summary>Returns once <paramref name="condition"/> holds, checking every 10 ms, or throws when the test's deadline passes.</summary>
    public static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
