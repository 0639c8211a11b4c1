using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// The shape of the samples' offline, deterministic <see cref="IChatClient"/>s: a subclass writes the reply to a
/// request; this answers it whole, or streams it a word at a time with a small delay on the given clock, so demos and
/// tests see real streaming without a model.
/// </summary>
internal abstract class OfflineChatClient : IChatClient
{
    /// <summary>The pause before each streamed word by default.</summary>
    public static readonly TimeSpan DefaultTokenDelay = TimeSpan.FromMilliseconds(15);

    private readonly string _modelId;
    private readonly TimeSpan _tokenDelay;
    private readonly TimeProvider _time;

    /// <summary>Creates the client.</summary>
    /// <param name="modelId">The model id it reports.</param>
    /// <param name="tokenDelay">The pause before each streamed word; the default is <see cref="DefaultTokenDelay"/>.</param>
    /// <param name="time">The clock the pauses wait on.</param>
    protected OfflineChatClient(string modelId, TimeSpan? tokenDelay, TimeProvider? time)
    {
        _modelId = modelId;
        _tokenDelay = tokenDelay ?? DefaultTokenDelay;
        _time = time ?? TimeProvider.System;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer(messages))) { ModelId = _modelId, FinishReason = ChatFinishReason.Stop });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var token in Tokens(Answer(messages)))
        {
            if (_tokenDelay > TimeSpan.Zero)
            {
                await Task.Delay(_tokenDelay, _time, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, token) { ModelId = _modelId };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>The reply in streamed pieces: each word with the space before it.</summary>
    internal static IEnumerable<string> Tokens(string text)
    {
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    /// <summary>The whole reply to a request.</summary>
    protected abstract string Answer(IEnumerable<ChatMessage> messages);
}
