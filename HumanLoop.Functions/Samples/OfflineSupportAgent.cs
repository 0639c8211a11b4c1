using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// An offline, deterministic <see cref="IChatClient"/> for the support-chat sample: it answers from the
/// <c>Account:</c>, <c>Username:</c> and <c>Question:</c> lines of the last user message, and streams its reply a word
/// at a time with a small delay, so tests and demos see real streaming without a model.
/// </summary>
internal sealed class OfflineSupportAgent(TimeSpan? tokenDelay = null, TimeProvider? time = null)
    : OfflineChatClient(ModelId, tokenDelay, time)
{
    /// <summary>The model id it reports.</summary>
    public const string ModelId = "humanloop-offline-support";

    protected override string Answer(IEnumerable<ChatMessage> messages) => Reply(messages);

    /// <summary>The reply to a request: a reset for an existing account, a sign-up for a new one, or an answer to a question.</summary>
    internal static string Reply(IEnumerable<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var account = OfflineArticleWriter.Field(request, "Account");
        var user = OfflineArticleWriter.Field(request, "Username") ?? "your account";
        var question = OfflineArticleWriter.Field(request, "Question");
        if (question is not null)
        {
            var lower = question.ToLowerInvariant();
            var answer = lower switch
            {
                _ when lower.Contains("email", StringComparison.Ordinal) || lower.Contains("mail", StringComparison.Ordinal) =>
                    "The reset email can take a few minutes; check your spam folder, and ask again in ten minutes if it has not come.",
                _ when lower.Contains("expire", StringComparison.Ordinal) || lower.Contains("link", StringComparison.Ordinal) =>
                    "Reset links expire after one hour and work once; I can send a new one whenever you need it.",
                _ when lower.Contains("password", StringComparison.Ordinal) =>
                    "A good password has at least 12 characters; a few unrelated words make one that is easy to remember.",
                _ => $"About \"{question}\": I can help with sign-in and password questions for {user}; for anything else, our support team answers at support@example.test.",
            };
            return answer;
        }

        return account == "new"
            ? $"Welcome! I have reserved the username {user} for your new account. Check your inbox for a link to choose your password; it is valid for one hour."
            : $"Thanks. I have sent a password reset link to the email address on file for {user}. It is valid for one hour and works once.";
    }
}
