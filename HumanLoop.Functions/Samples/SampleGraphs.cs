using System.Text.Json;
using HumanLoop.Graphs;

namespace HumanLoop.Functions.Samples;

/// <summary>A shipped sample: its compiled graph, a default input and how to print its result.</summary>
/// <param name="Graph">The compiled graph.</param>
/// <param name="DefaultInput">The input used when none is given.</param>
/// <param name="Describe">Renders a final state for the console.</param>
internal sealed record SampleGraph(CompiledGraph Graph, JsonElement DefaultInput, Func<JsonElement, string> Describe);

/// <summary>The sample graphs the app ships, by name.</summary>
internal static class SampleGraphs
{
    private static readonly Lazy<IReadOnlyDictionary<string, SampleGraph>> All = new(Create);

    /// <summary>Every sample, by name (case-insensitive).</summary>
    public static IReadOnlyDictionary<string, SampleGraph> ByName => All.Value;

    private static Dictionary<string, SampleGraph> Create()
    {
        var travel = TravelGraph.Build();
        var article = ArticleReviewGraph.Build();
        var support = SupportChatGraph.Build();
        var site = SiteDesignGraph.Build();
        return new(StringComparer.OrdinalIgnoreCase)
        {
            [article.Name] = new SampleGraph(
                article,
                article.ToJson(new ArticleState()),
                json => ArticleReviewGraph.Describe(article.FromJson(json))),
            [support.Name] = new SampleGraph(
                support,
                support.ToJson(new SupportChatState()),
                json => SupportChatGraph.Describe(support.FromJson(json))),
            [site.Name] = new SampleGraph(
                site,
                site.ToJson(new SiteDesignState()),
                json => SiteDesignGraph.Describe(site.FromJson(json))),
            [travel.Name] = new SampleGraph(
                travel,
                travel.ToJson(new TravelState()),
                json => TravelGraph.Describe(travel.FromJson(json))),
        };
    }
}
