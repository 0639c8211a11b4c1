using System.Text.Json;
using HumanLoop.Graphs;

namespace HumanLoop.Core.Tests.Graphs;

public sealed class ValidateInputNullabilityTests
{
    private static readonly CompiledGraph<Doc> Graph =
        new StateGraph<Doc>("g", TestJson.Default.Doc).AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", HumanLoop.Graphs.Graph.End).Compile();

    [Fact]
    public void ValidateInput_NullForANonNullableProperty_SaysWhichProperty()
    {
        var problem = Graph.ValidateInput(JsonDocument.Parse("""{"title":null}""").RootElement);

        Assert.Equal("The input is not a valid initial state for graph 'g': '$.title' must not be null (its type is not nullable).", problem);
    }

    [Theory]
    [InlineData("""{"title":"x","draft":null}""")]
    [InlineData("""{"draft":null,"approved":null,"log":null}""")]
    [InlineData("{}")]
    public void ValidateInput_NullOnlyWhereTheTypeIsNullable_IsAccepted(string json)
    {
        Assert.Null(Graph.ValidateInput(JsonDocument.Parse(json).RootElement));
    }
}
