using HumanLoop.Graphs;
using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>How the samples' nodes stream a model's reply into the run's live output, token by token.</summary>
internal static class ChatStreaming
{
    /// <summary>Streams the reply to <paramref name="messages"/> into the node's output, token by token; returns the whole text.</summary>
    public static async Task<string> StreamAsync(IChatClient chat, IList<ChatMessage> messages, NodeContext context)
    {
        var message = context.Output.BeginMessage();
        await foreach (var update in chat.GetStreamingResponseAsync(messages, cancellationToken: context.CancellationToken).ConfigureAwait(false))
        {
            await message.AppendAsync(update.Text, context.CancellationToken).ConfigureAwait(false);
        }

        var text = (await message.CompleteAsync(context.CancellationToken).ConfigureAwait(false)).Trim();
        return text.Length > 0 ? text : throw new InvalidOperationException("The chat client returned an empty reply.");
    }
}
