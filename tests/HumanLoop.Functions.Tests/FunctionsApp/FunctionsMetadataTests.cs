using System.Reflection;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Functions.Functions;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.FunctionsApp;

/// <summary>
/// Reads the functions.metadata the Worker SDK writes at build time (what the Functions host indexes) and checks every
/// function's name, trigger and HTTP binding, so a renamed method, route or attribute cannot slip through unnoticed.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<(string Folder, JsonElement[] Functions)> Metadata = new(Load);

    public static TheoryData<string, string, string> HttpFunctions => new()
    {
        { FunctionNames.StartRun, "post", "orchestrators/{functionName}" },
        { FunctionNames.StartRunWithId, "post", "orchestrators/{functionName}/{instanceId}" },
        { FunctionNames.ListOpenRequests, "get", "runs/{instanceId}/requests" },
        { FunctionNames.GetOpenRequest, "get", "runs/{instanceId}/requests/{requestId}" },
        { FunctionNames.RespondToRequest, "post", "runs/{instanceId}/requests/{requestId}/respond" },
        { FunctionNames.PostCallbackResponse, "post", "runs/{instanceId}/requests/{requestId}/responses" },
        { FunctionNames.GetRunAudit, "get", "runs/{instanceId}/audit" },
        { FunctionNames.LiveEvents, "get", "runs/{instanceId}/live" },
        { FunctionNames.GetRequestAudit, "get", "runs/{instanceId}/requests/{requestId}/audit" },
    };

    private static readonly string[] ActivityNames = [HumanLoopTaskNames.RunNode, HumanLoopTaskNames.Record];

    public static TheoryData<string> Activities => new(ActivityNames);

    [Fact]
    public void Metadata_AllFunctions_AreExactlyTheOrchestratorsActivitiesAndHttpTriggers()
    {
        var expected = SampleGraphs.ByName.Keys
            .Concat(ActivityNames)
            .Concat(HttpFunctions.Select(row => (string)row[0]!))
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected, Metadata.Value.Functions.Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Metadata_Orchestrators_AreTheShippedSamples()
    {
        var orchestrators = Metadata.Value.Functions.Where(f => TriggerType(f) == "orchestrationTrigger").Select(f => f.GetProperty("name").GetString()!);

        Assert.Equal([ArticleReviewGraph.Name, SiteDesignGraph.Name, SupportChatGraph.Name, TravelGraph.Name], orchestrators.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Metadata_EverySampleGraph_HasOneOrchestratorNamedAsTheGraph()
    {
        var orchestrators = Metadata.Value.Functions.Where(f => TriggerType(f) == "orchestrationTrigger").ToList();

        Assert.Equal(SampleGraphs.ByName.Count, orchestrators.Count);
        foreach (var graph in SampleGraphs.ByName.Values)
        {
            var function = Assert.Single(orchestrators, f => f.GetProperty("name").GetString() == graph.Graph.Name);
            Assert.Equal("context", Assert.Single(Bindings(function)).GetProperty("name").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Activities))]
    public void Metadata_Activity_IsAnActivityTriggerWithOneBinding(string name)
    {
        var function = Function(name);

        var binding = Assert.Single(Bindings(function));
        Assert.Equal("activityTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("In", binding.GetProperty("direction").GetString());
    }

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Metadata_HttpFunction_HasRouteMethodFunctionKeyAndDurableClient(string name, string method, string route)
    {
        var bindings = Bindings(Function(name));

        var trigger = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("function", trigger.GetProperty("authLevel").GetString(), ignoreCase: true);
        Assert.Single(bindings, b => b.GetProperty("type").GetString() == "durableClient" && b.GetProperty("direction").GetString() == "In");
        Assert.Single(bindings, b => b.GetProperty("type").GetString() == "http" && b.GetProperty("name").GetString() == "$return");
        Assert.Equal(3, bindings.Count);
    }

    [Fact]
    public void Metadata_EveryEntryPoint_IsAMethodOfTheAppAssembly()
    {
        var app = typeof(FunctionNames).Assembly;

        foreach (var function in Metadata.Value.Functions)
        {
            Assert.Equal(app.GetName().Name + ".dll", function.GetProperty("scriptFile").GetString());
            var entryPoint = function.GetProperty("entryPoint").GetString()!;
            var split = entryPoint.LastIndexOf('.');
            var type = app.GetType(entryPoint[..split]);
            Assert.True(type is not null, $"{function.GetProperty("name")}: no type for entry point '{entryPoint}'.");
            Assert.NotNull(type.GetMethod(entryPoint[(split + 1)..], BindingFlags.Public | BindingFlags.Instance));
        }
    }

    [Fact]
    public void Build_DurableExtension_IsBundledForTheHost()
    {
        using var extensions = JsonDocument.Parse(File.ReadAllText(Path.Combine(Metadata.Value.Folder, "extensions.json")));

        Assert.Contains(
            extensions.RootElement.GetProperty("extensions").EnumerateArray(),
            e => e.GetProperty("name").GetString() == "DurableTask");
        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(Metadata.Value.Folder, "worker.config.json")));
        Assert.Equal("dotnet-isolated", worker.RootElement.GetProperty("description").GetProperty("language").GetString());
    }

    private static JsonElement Function(string name) =>
        Assert.Single(Metadata.Value.Functions, f => f.GetProperty("name").GetString() == name);

    private static List<JsonElement> Bindings(JsonElement function) => function.GetProperty("bindings").EnumerateArray().ToList();

    private static string? TriggerType(JsonElement function) =>
        Bindings(function).Select(b => b.GetProperty("type").GetString()).FirstOrDefault(t => t is not null && t.EndsWith("Trigger", StringComparison.Ordinal));

    private static (string Folder, JsonElement[] Functions) Load()
    {
        // The referenced app's build output is copied next to the tests; failing that, read the app's own bin folder.
        var folder = AppContext.BaseDirectory;
        if (!File.Exists(Path.Combine(folder, "functions.metadata")))
        {
            var tfmFolder = new DirectoryInfo(folder.TrimEnd(Path.DirectorySeparatorChar));
            folder = Path.Combine(RepositoryPaths.Root(), "HumanLoop.Functions", "bin", tfmFolder.Parent!.Name, tfmFolder.Name);
        }

        var path = Path.Combine(folder, "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata is not built at {path}.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return (folder, document.RootElement.EnumerateArray().Select(f => f.Clone()).ToArray());
    }
}
