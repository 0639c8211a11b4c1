using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Serialization;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>A run in the app's hub whose graph the app does not have, but another host of the hub does.</summary>
[Collection(AppCollection.Name)]
public sealed class UnregisteredGraphTests(HumanLoopAppFixture app)
{
    private static readonly CompiledGraph<Note> Orphan = new StateGraph<Note>("orphan-notes", NoteJson.Default.Note)
        .AddHumanNode("ask", new TextStep<Note> { Prompt = _ => "Anything?", Apply = (s, a) => s with { Text = a.Value } })
        .SetEntryPoint("ask")
        .AddEdge("ask", Graph.End)
        .Compile();

    [Fact]
    public async Task Respond_RunOfAGraphTheAppLacks_Returns202AndLeavesTheRunPendingForAHostThatHasIt()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("orphan");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.Services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = app.ConnectionString;
            o.HubName = app.HubName;
        }).AddGraph(Orphan).SelfHosted().WithoutWorker();
        using var clientOnly = builder.Build();
        await clientOnly.StartAsync(timeout.Token);
        var client = clientOnly.Services.GetRequiredService<IDurableRunClient>();
        await client.StartRunAsync(Orphan.Name, Orphan.ToJson(new Note(null)), new StartRunOptions { RunId = id }, timeout.Token);
        try
        {
            // The app's worker has no orchestrator of that name: the engine leaves the run to a host that has one,
            // and the answer is delivered and kept (202), neither refused nor lost nor failing the run.
            using var respond = await app.Client.PostAsync($"/api/runs/{id}/requests/ask/respond", ApiClient.Json("""{"answer":"hello","messageId":"m-orphan"}"""), timeout.Token);
            Assert.Equal(HttpStatusCode.Accepted, respond.StatusCode);
            Assert.Equal("Buffered", (await ApiClient.ReadJsonAsync(respond, timeout.Token)).GetProperty("status").GetString());
            Assert.Equal("Pending", (await app.Client.GetStatusAsync(id, timeout.Token)).Body.GetProperty("runtimeStatus").GetString());
        }
        finally
        {
            await client.TerminateAsync(id, "test over", CancellationToken.None);
            await clientOnly.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>The state of the orphan graph.</summary>
public sealed record Note(string? Text);

[JsonSerializable(typeof(Note))]
internal sealed partial class NoteJson : JsonSerializerContext;
