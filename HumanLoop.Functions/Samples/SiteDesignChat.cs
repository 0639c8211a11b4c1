using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// The chat client the site-design sample talks through: the OpenAI-compatible endpoint of <c>HumanLoop:Chat</c> when
/// one is set (as for article-review), otherwise the offline <see cref="OfflineDesigner"/>; and its prompts.
/// </summary>
internal static class SiteDesignChat
{
    /// <summary>Registers the sample's chat client under the key <see cref="SiteDesignGraph.Name"/>.</summary>
    public static IServiceCollection AddSiteDesignChat(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton<IChatClient>(SiteDesignGraph.Name, (sp, _) => Create(sp.GetService<IConfiguration>()?.GetSection(ArticleChat.SectionName)));
        return services;
    }

    /// <summary>The client for the given <c>HumanLoop:Chat</c> section.</summary>
    public static IChatClient Create(IConfiguration? section) => ArticleChat.Create(section, static () => new OfflineDesigner());

    /// <summary>The sample's client from a node's services: the keyed one, any <see cref="IChatClient"/>, or the offline designer.</summary>
    public static IChatClient Resolve(IServiceProvider? services) =>
        services?.GetKeyedService<IChatClient>(SiteDesignGraph.Name)
        ?? services?.GetService<IChatClient>()
        ?? new OfflineDesigner();

    /// <summary>The whole reply to <paramref name="messages"/>, not streamed.</summary>
    public static async Task<string> CompleteAsync(IChatClient chat, IList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var response = await chat.GetResponseAsync(messages, cancellationToken: cancellationToken).ConfigureAwait(false);
        var text = response.Text.Trim();
        return text.Length > 0 ? text : throw new InvalidOperationException("The chat client returned an empty reply.");
    }

    /// <summary>Asks for a short pitch of each theme.</summary>
    public static List<ChatMessage> ProposeThemes(string brief, IReadOnlyList<string> themes) =>
    [
        new(ChatRole.System, SystemPrompt),
        new(ChatRole.User, $"Task: themes\nBrief: {brief}\nThemes: {string.Join(", ", themes)}"),
    ];

    /// <summary>Asks for a description of the page as it would look, revised by every piece of feedback so far.</summary>
    public static List<ChatMessage> DescribePreview(string brief, string theme, int number, IReadOnlyList<string> feedback) =>
    [
        new(ChatRole.System, SystemPrompt),
        new(ChatRole.User, $"Task: preview\nBrief: {brief}\nTheme: {theme}\nPreview: {number}\nFeedback: {string.Join(" | ", feedback)}"),
    ];

    /// <summary>Asks for a one-line description of a generated asset.</summary>
    public static List<ChatMessage> DescribeAsset(string theme, string asset) =>
    [
        new(ChatRole.System, SystemPrompt),
        new(ChatRole.User, $"Task: asset\nTheme: {theme}\nAsset: {asset}"),
    ];

    private const string SystemPrompt =
        "You are a web designer planning a small website with a client. Be brief and concrete: colours, type, layout. " +
        "For 'themes', pitch each named theme in one sentence. For 'preview', describe the page as it would look, applying all the feedback. " +
        "For 'asset', describe the asset in one sentence.";
}
