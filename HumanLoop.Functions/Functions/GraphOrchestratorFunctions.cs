using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Functions.Samples;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace HumanLoop.Functions.Functions;

/// <summary>
/// One orchestrator function per sample graph, named as the graph, each running the shared
/// <see cref="GraphOrchestrator"/>. A graph added to <see cref="SampleGraphs"/> needs a function here too (the Functions
/// host only knows the names in functions.metadata, which the build generates from these attributes).
/// </summary>
internal sealed class GraphOrchestratorFunctions(IGraphCatalog graphs, IOptions<DurableHumanLoopOptions> options)
{
    /// <summary>The <c>travel</c> graph (prompt-and-wait).</summary>
    [Function(TravelGraph.Name)]
    public Task<JsonElement?> RunTravelAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunGraphAsync(TravelGraph.Name, context);

    /// <summary>The <c>article-review</c> graph (external callback: email, queue and webhooks, reminders, escalation).</summary>
    [Function(ArticleReviewGraph.Name)]
    public Task<JsonElement?> RunArticleReviewAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunGraphAsync(ArticleReviewGraph.Name, context);

    /// <summary>The <c>site-design</c> graph (hybrid: a chat brainstorm, then a component review by email or callback beside an assets branch).</summary>
    [Function(SiteDesignGraph.Name)]
    public Task<JsonElement?> RunSiteDesignAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunGraphAsync(SiteDesignGraph.Name, context);

    /// <summary>The <c>support-chat</c> graph (live interaction: streamed replies, choices and text asked in the chat).</summary>
    [Function(SupportChatGraph.Name)]
    public Task<JsonElement?> RunSupportChatAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunGraphAsync(SupportChatGraph.Name, context);

    private Task<JsonElement?> RunGraphAsync(string graph, TaskOrchestrationContext context)
    {
        var compiled = graphs.Find(graph) ?? throw new UnknownGraphException(graph);
        var orchestrator = new GraphOrchestrator(compiled, options.Value.CreateOrchestratorOptions());
        return orchestrator.RunAsync(context, context.GetInput<JsonElement?>());
    }
}
