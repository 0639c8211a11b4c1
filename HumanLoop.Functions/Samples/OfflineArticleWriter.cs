using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// An offline, deterministic <see cref="IChatClient"/>: it writes a short article from the <c>Topic:</c>,
/// <c>Round:</c> and <c>Feedback:</c> lines of the last user message, so the sample runs without a model and the same
/// request always gets the same draft.
/// </summary>
internal sealed class OfflineArticleWriter : IChatClient
{
    /// <summary>The model id it reports.</summary>
    public const string ModelId = "humanloop-offline-writer";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var text = Write(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = ModelId, FinishReason = ChatFinishReason.Stop });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var text = Write(messages);
        foreach (var line in text.Split('\n'))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, line + "\n") { ModelId = ModelId };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>The draft for a request.</summary>
    internal static string Write(IEnumerable<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        string topic = Field(request, "Topic") ?? "an untitled subject";
        string round = Field(request, "Round") ?? "1";
        string? feedback = Field(request, "Feedback");
        var lines = new List<string>
        {
            $"{topic}: what a careful team should know",
            string.Empty,
            $"{topic} matters because work that waits for people must survive restarts, deploys and weekends. This article explains the idea in plain terms.",
            string.Empty,
            $"The core of {topic.ToLowerInvariant()} is simple: record what is waiting, wake up on time, and never lose an answer. Each step is written down before it is acted on.",
        };
        if (feedback is not null)
        {
            lines.Add(string.Empty);
            lines.Add($"Revised (draft {round}) to address the editor's feedback: {feedback}");
        }

        lines.Add(string.Empty);
        lines.Add($"In short: {topic.ToLowerInvariant()} turns a fragile wait into a durable one.");
        return string.Join('\n', lines);
    }

    /// <summary>The value of the request line <c>name: value</c>, or null when it is missing or empty.</summary>
    internal static string? Field(string request, string name)
    {
        foreach (var line in request.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                var value = line[(name.Length + 1)..].Trim();
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }
}
