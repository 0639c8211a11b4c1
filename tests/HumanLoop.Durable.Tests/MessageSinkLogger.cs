using Xunit.Abstractions;
using Xunit.Sdk;

namespace HumanLoop.Durable.Tests;

/// <summary>Writes log entries at Information and above as xunit diagnostic messages (shown with diagnosticMessages: true).</summary>
internal sealed class MessageSinkLogger(IMessageSink sink, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            sink.OnMessage(new DiagnosticMessage($"[{category}] {logLevel}: {formatter(state, exception)}"));
        }
    }
}
