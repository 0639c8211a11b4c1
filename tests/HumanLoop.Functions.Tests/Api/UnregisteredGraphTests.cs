using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Serialization;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>A run in the app's hub whose graph the app does not have (another app, or a graph since removed).</summary>
[Collection(AppCollection.Name)]
public sealed class UnregisteredGraphTests(HumanLoopAppFixture app)
{
    private static readonly CompiledGraph<Note> Orphan = new StateGraph<Note>("orphan-notes", NoteJson.Default.Note)
        .AddHumanNode("ask", new TextStep<Note> { Prompt = _ => "Anything?", Apply = (s, a) => s with { Text = a.Value } })
        .SetEntryPoint("ask")
        .AddEdge("ask", Graph.End)
        .Compile();

    [Fact]
    public async Task RespondAndTerminate_RunOfAGraphTheAppLacks_Return409ProblemAndChangeNothing()
    {
        using var timeout = TestTimeout.Start();
        var services = new ServiceCollection().AddLogging();
        services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = app.ConnectionString;
            o.HubName = app.HubName;
        }).AddGraph(Orphan).SelfHosted().WithoutWorker();
        await using var other = services.BuildServiceProvider();
        var client = other.GetRequiredService<IDurableRunClient>();
        var id = await client.StartRunAsync(Orphan.Name, Orphan.ToJson(new Note(null)), cancellationToken: timeout.Token);
        try
        {
            using var respond = await app.Client.PostAsync($"/api/runs/{id}/requests/ask/respond", ApiClient.Json("""{"answer":"hello"}"""), timeout.Token);
            using var terminate = await app.Client.PostAsync($"{ApiClient.InstancesPath}/{id}/terminate", null, timeout.Token);

            var problem = await ApiClient.AssertProblemAsync(respond, HttpStatusCode.Conflict, timeout.Token);
            Assert.Equal("Graph not registered", problem.GetProperty("title").GetString());
            Assert.Contains("'orphan-notes'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            await ApiClient.AssertProblemAsync(terminate, HttpStatusCode.Conflict, timeout.Token);
            var (status, body) = await app.Client.GetStatusAsync(id, timeout.Token);
            Assert.Equal(HttpStatusCode.Accepted, status);
            Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
            Assert.Equal("Open", body.GetProperty("customStatus").GetProperty("openRequests")[0].GetProperty("status").GetString());
        }
        finally
        {
            // The host that has the graph can end and remove the run.
            await client.TerminateAsync(id, "test over", CancellationToken.None);
            await client.PurgeAsync(id, CancellationToken.None);
        }
    }
}

/// <summary>The state of the orphan graph.</summary>
public sealed record Note(string? Text);

[JsonSerializable(typeof(Note))]
internal sealed partial class NoteJson : JsonSerializerContext;
