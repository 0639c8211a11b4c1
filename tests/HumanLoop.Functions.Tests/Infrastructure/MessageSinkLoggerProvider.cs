using Xunit.Abstractions;
using Xunit.Sdk;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>Writes the app's warnings and errors as xunit diagnostic messages, so a failing test shows the host's log.</summary>
internal sealed class MessageSinkLoggerProvider(IMessageSink sink, LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(sink, categoryName, minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(IMessageSink sink, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink.OnMessage(new DiagnosticMessage($"[{category}] {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : Environment.NewLine + exception)}"));
            }
        }
    }
}
