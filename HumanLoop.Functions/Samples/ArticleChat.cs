using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenAI;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// The chat client the article-review sample drafts with: an OpenAI-compatible endpoint when
/// <c>HumanLoop:Chat:Endpoint</c> is set (with <c>Model</c> and <c>ApiKey</c>), otherwise the offline
/// <see cref="OfflineArticleWriter"/>.
/// </summary>
internal static class ArticleChat
{
    /// <summary>The configuration section: <c>HumanLoop:Chat</c>.</summary>
    public const string SectionName = "HumanLoop:Chat";

    /// <summary>The model used when <c>HumanLoop:Chat:Model</c> is unset.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>Registers the sample's chat client under the key <see cref="ArticleReviewGraph.Name"/>.</summary>
    public static IServiceCollection AddArticleChat(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton<IChatClient>(ArticleReviewGraph.Name, (sp, _) => Create(sp.GetService<IConfiguration>()?.GetSection(SectionName)));
        return services;
    }

    /// <summary>The client for the given <c>HumanLoop:Chat</c> section.</summary>
    /// <param name="section">The section.</param>
    /// <param name="offline">The client used when no endpoint is set; the default is the <see cref="OfflineArticleWriter"/>.</param>
    public static IChatClient Create(IConfiguration? section, Func<IChatClient>? offline = null)
    {
        var endpoint = section?["Endpoint"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return offline?.Invoke() ?? new OfflineArticleWriter();
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"{SectionName}:Endpoint must be an absolute http or https URL (was '{endpoint}').");
        }

        var model = section?["Model"] is { Length: > 0 } m ? m : DefaultModel;

        // Local OpenAI-compatible servers often need no key; the client library requires one.
        var key = section?["ApiKey"] is { Length: > 0 } k ? k : "unused";
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = uri }).GetChatClient(model).AsIChatClient();
    }

    /// <summary>The sample's client from a node's services: the keyed one, any <see cref="IChatClient"/>, or the offline writer.</summary>
    public static IChatClient Resolve(IServiceProvider? services) =>
        services?.GetKeyedService<IChatClient>(ArticleReviewGraph.Name)
        ?? services?.GetService<IChatClient>()
        ?? new OfflineArticleWriter();

    /// <summary>The messages that ask for a draft.</summary>
    public static List<ChatMessage> Prompt(string topic, int round, string? feedback, string? previous)
    {
        var request = $"Topic: {topic}\nRound: {round}";
        if (!string.IsNullOrWhiteSpace(feedback))
        {
            request += $"\nFeedback: {feedback}\nPrevious draft:\n{previous}";
        }

        return
        [
            new ChatMessage(ChatRole.System, "You write short, clear articles of three paragraphs for a developer blog. When feedback is given, revise the previous draft to address it. Answer with the article only, its title on the first line."),
            new ChatMessage(ChatRole.User, request),
        ];
    }
}
