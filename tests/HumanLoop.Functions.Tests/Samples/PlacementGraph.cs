using System.Text.Json.Serialization;
using HumanLoop.Functions.Samples;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary><c>article-placement</c>: a choice step, answered by email link among others, that asks the editors where an article goes.</summary>
internal static class PlacementGraph
{
    public const string Name = "article-placement";

    public static readonly string[] Options = ["front page", "weekend", "archive"];

    public static CompiledGraph<PlacementState> Build() =>
        new StateGraph<PlacementState>(Name, PlacementJson.Default.PlacementState)
            .AddHumanNode("place", new ChoiceStep<PlacementState>
            {
                Prompt = s => $"Where does the article on '{s.Topic}' go?",
                Options = Options,
                Assignees = [ArticleReviewGraph.Editors],
                Channel = HumanChannel.Email | HumanChannel.Callback,
                Apply = (s, answer) => s with { Placement = answer.Value, By = answer.Respondent },
            })
            .SetEntryPoint("place")
            .AddEdge("place", Graph.End)
            .Compile();
}

public sealed record PlacementState(string? Topic = null, string? Placement = null, string? By = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PlacementState))]
internal sealed partial class PlacementJson : JsonSerializerContext;
