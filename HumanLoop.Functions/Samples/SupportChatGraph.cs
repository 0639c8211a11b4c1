using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HumanLoop.Functions.Samples;

/// <summary>The state of a support conversation.</summary>
/// <param name="Account"><c>existing</c> or <c>new</c>, once the user has said which.</param>
/// <param name="Username">The username the user gave.</param>
/// <param name="Question">The user's latest follow-up question, while the agent answers it.</param>
/// <param name="Done">Whether the user has said they are done.</param>
/// <param name="Replies">How many replies the agent has streamed.</param>
/// <param name="LastReply">The agent's latest reply.</param>
public sealed record SupportChatState(
    string? Account = null,
    string? Username = null,
    string? Question = null,
    bool Done = false,
    int Replies = 0,
    string? LastReply = null);

/// <summary>JSON contract of the support-chat state.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SupportChatState))]
internal sealed partial class SupportChatJsonContext : JsonSerializerContext;

/// <summary>
/// Pattern 2, live interaction: the password-reset assistant. It asks whether the user has an existing account or wants
/// a new one (a choice; a free-form reply such as "I have an existing account" is mapped onto the options, anything
/// else is asked again with the options), asks for the username (text with a pattern), streams its reply through
/// <see cref="IChatClient"/>, and answers follow-up questions until the user says they are done. Best over the live
/// channel (the chat page, WebSocket or SSE); every other channel works too.
/// </summary>
internal static class SupportChatGraph
{
    public const string Name = "support-chat";

    /// <summary>The username's pattern.</summary>
    public const string UsernamePattern = "[A-Za-z0-9][A-Za-z0-9._-]{2,31}";

    /// <summary>What ends the conversation when it is the whole reply to "anything else?".</summary>
    private static readonly string[] DoneWords = ["done", "no", "nope", "no thanks", "no thank you", "that's all", "thats all", "that is all", "bye", "goodbye", "nothing", "i'm done", "im done", "i am done", "all good", "thanks, bye"];

    public static CompiledGraph<SupportChatState> Build() =>
        new StateGraph<SupportChatState>(Name, SupportChatJsonContext.Default.SupportChatState)
            .AddNode("greet", GreetAsync)
            .AddHumanNode("account", new ChoiceStep<SupportChatState>
            {
                Prompt = _ => "Do you have an existing account, or do you want a new one?",
                Options = ["existing", "new"],
                Interpret = InterpretAccount,
                MaxAttempts = 5,
                Apply = (s, answer) => s with { Account = answer.Value },
            })
            .AddHumanNode("username", new TextStep<SupportChatState>
            {
                Prompt = s => s.Account == "new" ? "Which username would you like?" : "What is your username?",
                Pattern = UsernamePattern,
                PatternDescription = "a username of 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
                MaxLength = 32,
                MaxAttempts = 5,
                Apply = (s, answer) => s with { Username = answer.Value },
            })
            .AddNode("reply", ReplyAsync, new RetryPolicy { MaxAttempts = 3 })
            .AddHumanNode("more", new TextStep<SupportChatState>
            {
                Prompt = _ => "Anything else I can help with? Say \"done\" when you are finished.",
                MaxLength = 500,
                Apply = (s, answer) => IsDone(answer.Value) ? s with { Done = true, Question = null } : s with { Question = answer.Value },
            })
            .AddNode("farewell", FarewellAsync)
            .SetEntryPoint("greet")
            .AddEdge("greet", "account")
            .AddEdge("account", "username")
            .AddEdge("username", "reply")
            .AddEdge("reply", "more")
            .AddConditionalEdges("more", s => s.Done ? "farewell" : "reply", new Dictionary<string, string> { ["farewell"] = "farewell", ["reply"] = "reply" })
            .AddEdge("farewell", Graph.End)
            .Compile();

    /// <summary>Registers the sample's chat client under the key <see cref="Name"/>: the offline agent unless one is registered.</summary>
    public static IServiceCollection AddSupportChat(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton<IChatClient>(Name, (sp, _) => ArticleChat.Create(sp.GetService<IConfiguration>()?.GetSection(ArticleChat.SectionName), () => new OfflineSupportAgent()));
        return services;
    }

    /// <summary>Renders a final state for the console.</summary>
    public static string Describe(SupportChatState state) =>
        $"Support chat finished after {state.Replies} repl{(state.Replies == 1 ? "y" : "ies")} ({state.Account} account '{state.Username}').";

    /// <summary>Maps a free-form reply onto <c>existing</c> or <c>new</c>, or null when it says neither.</summary>
    /// <param name="reply">What the user wrote.</param>
    public static string? InterpretAccount(string reply)
    {
        var text = " " + new string([.. reply.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) || c == '\'' ? c : ' ')]) + " ";
        bool Has(params string[] phrases) => phrases.Any(p => text.Contains(" " + p + " ", StringComparison.Ordinal));

        // Negations first: "I don't have an account" wants a new one, although it mentions having one.
        var wantsNew = Has("new", "create", "sign up", "signup", "register", "don't have", "dont have", "do not have", "no account", "haven't got", "open one", "make one");
        var hasOne = Has("existing", "have an account", "have one", "already have", "my account", "got an account", "reset", "forgot", "old one", "i do", "yes");
        return (wantsNew, hasOne) switch
        {
            (true, false) => "new",
            (false, true) => "existing",
            (true, true) when Has("don't have", "dont have", "do not have", "no account", "haven't got") => "new",
            _ => null,
        };
    }

    private static bool IsDone(string reply)
    {
        var text = reply.Trim().TrimEnd('.', '!').ToLowerInvariant();
        return DoneWords.Contains(text, StringComparer.Ordinal);
    }

    private static async Task<SupportChatState> GreetAsync(SupportChatState state, NodeContext context)
    {
        await context.Output.SayAsync("Hi! I'm the password-reset assistant.", context.CancellationToken).ConfigureAwait(false);
        return state;
    }

    private static async Task<SupportChatState> ReplyAsync(SupportChatState state, NodeContext context)
    {
        var chat = Resolve(context.Services);
        var request = $"Account: {state.Account}\nUsername: {state.Username}";
        if (state.Question is { } question)
        {
            request += $"\nQuestion: {question}";
        }

        List<ChatMessage> messages =
        [
            new(ChatRole.System, "You are a friendly password-reset assistant. Answer in two sentences at most."),
            new(ChatRole.User, request),
        ];
        var reply = await ChatStreaming.StreamAsync(chat, messages, context).ConfigureAwait(false);
        return state with { LastReply = reply, Replies = state.Replies + 1, Question = null };
    }

    private static async Task<SupportChatState> FarewellAsync(SupportChatState state, NodeContext context)
    {
        await context.Output.SayAsync($"Glad I could help{(state.Username is null ? string.Empty : ", " + state.Username)}. Goodbye!", context.CancellationToken).ConfigureAwait(false);
        return state;
    }

    private static IChatClient Resolve(IServiceProvider? services) =>
        services?.GetKeyedService<IChatClient>(Name)
        ?? services?.GetService<IChatClient>()
        ?? new OfflineSupportAgent();
}
