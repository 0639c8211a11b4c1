using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>
/// An offline, deterministic <see cref="IChatClient"/> for the site-design sample: it answers the <c>Task:</c> of the
/// last user message (themes, preview, asset) from its other lines, streamed as <see cref="OfflineChatClient"/> streams.
/// </summary>
internal sealed class OfflineDesigner(TimeSpan? tokenDelay = null, TimeProvider? time = null)
    : OfflineChatClient(ModelId, tokenDelay, time)
{
    /// <summary>The model id it reports.</summary>
    public const string ModelId = "humanloop-offline-designer";

    protected override string Answer(IEnumerable<ChatMessage> messages) => Write(messages);

    /// <summary>The reply to a request.</summary>
    internal static string Write(IEnumerable<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var theme = OfflineArticleWriter.Field(request, "Theme") ?? "plain";
        return OfflineArticleWriter.Field(request, "Task") switch
        {
            "themes" => Themes(OfflineArticleWriter.Field(request, "Brief") ?? "the site", OfflineArticleWriter.Field(request, "Themes") ?? theme),
            "preview" => Preview(theme, OfflineArticleWriter.Field(request, "Preview") ?? "1", OfflineArticleWriter.Field(request, "Feedback")),
            "asset" => $"The {OfflineArticleWriter.Field(request, "Asset") ?? "asset"} follows the {theme} palette and type scale.",
            _ => "Tell me what the site is for, and I will propose themes.",
        };
    }

    private static string Themes(string brief, string themes)
    {
        var pitches = themes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => t switch
        {
            "harbour" => "harbour: deep navy and sail white, a serif headline, photos of the quay at dawn.",
            "meadow" => "meadow: soft greens and cream, rounded sans-serif type, hand-drawn wheat illustrations.",
            "sunrise" => "sunrise: warm apricot and charcoal, bold geometric type, a full-width photo of fresh loaves.",
            _ => $"{t}: a calm palette, generous spacing, one strong photo.",
        });
        return $"Three directions for {brief.TrimEnd('.')}: " + string.Join(" ", pitches) + " Which one should I develop?";
    }

    private static string Preview(string theme, string number, string? feedback)
    {
        var notes = (feedback ?? string.Empty).Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var colours = notes.Any(n => n.Contains("bright", StringComparison.OrdinalIgnoreCase))
            ? "brighter, more saturated colours"
            : notes.Any(n => n.Contains("dark", StringComparison.OrdinalIgnoreCase)) ? "darker, quieter colours" : "its own palette";
        var text = $"Preview {number} ({theme}, {colours}): a sticky navigation bar with the logo left and Menu, Hours and Order links right; " +
            "a hero with the day's bake and an Order ahead button; the menu as three cards; a footer with the address, hours and a map link.";
        return notes.Length == 0 ? text : text + " Changed since the last preview: " + string.Join("; ", notes) + ".";
    }
}
