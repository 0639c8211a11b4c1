using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Samples;

namespace HumanLoop.Functions.Hosting;

/// <summary>The registrations both launch modes share: the sample graphs and the HTTP API's JSON and problem details.</summary>
internal static class HumanLoopAppServices
{
    /// <summary>Registers every sample graph on the hub, their default inputs for the start API, and the article and support-chat samples' chat clients.</summary>
    /// <param name="hub">The hub being configured.</param>
    /// <returns>The same builder.</returns>
    public static DurableHumanLoopBuilder AddSampleGraphs(this DurableHumanLoopBuilder hub)
    {
        foreach (var sample in SampleGraphs.ByName.Values)
        {
            hub.AddGraph(sample.Graph);
        }

        hub.Services.AddArticleChat();
        hub.Services.AddSupportChat();
        hub.Services.AddSiteDesignChat();
        hub.Services.AddSingleton(new GraphInputs(
            SampleGraphs.ByName.Values.ToDictionary(s => s.Graph.Name, s => s.DefaultInput, StringComparer.OrdinalIgnoreCase)));
        return hub;
    }

    /// <summary>
    /// Registers how the handlers' results are written (HumanLoop's JSON contracts, string enums, problem details with a
    /// trace id) and who may answer a request (<see cref="Identity.AnswerGate"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddHttpApiResults(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = Http.ProblemDefaults.Customize);
        services.AddSingleton<Identity.AnswerGate>();
        services.ConfigureHttpJsonOptions(options =>
        {
            // The context's own options do not carry over when it is one resolver in the chain.
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            options.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        return services;
    }
}
