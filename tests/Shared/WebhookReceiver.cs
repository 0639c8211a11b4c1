using System.Collections.Concurrent;
using System.Threading.Channels;
#pragma warning disable IDE0005 // Global usings in one of the test projects that compile this file, not in the other.
using Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0005
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
#pragma warning disable IDE0005
using Microsoft.Extensions.Logging;
#pragma warning restore IDE0005

namespace HumanLoop.Testing;

/// <summary>A real Kestrel listener on a free port that records webhook deliveries and answers with scripted status codes. Shared by the test projects.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _statuses;
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>();
    private readonly ConcurrentQueue<Delivery> _all = new();

    private WebhookReceiver(WebApplication app, ConcurrentQueue<int> statuses)
    {
        _app = app;
        _statuses = statuses;
    }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<Delivery> All => [.. _all];

    /// <summary>Starts the listener; each delivery is answered with the next of <paramref name="statuses"/>, then 200.</summary>
    public static async Task<WebhookReceiver> StartAsync(params int[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new ConcurrentQueue<int>(statuses));
        app.MapPost("/hooks/tasks", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var delivery = new Delivery(
                body,
                context.Request.Headers["X-HumanLoop-Timestamp"].ToString(),
                context.Request.Headers["X-HumanLoop-Signature"].ToString(),
                context.Request.Headers["X-HumanLoop-Delivery"].ToString(),
                context.Request.ContentType);
            receiver._all.Enqueue(delivery);
            receiver._deliveries.Writer.TryWrite(delivery);
            return Results.StatusCode(receiver._statuses.TryDequeue(out var status) ? status : 200);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hooks/tasks");
        return receiver;
    }

    /// <summary>Waits for the next delivery.</summary>
    public ValueTask<Delivery> NextAsync(CancellationToken cancellationToken) => _deliveries.Reader.ReadAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal sealed record Delivery(string Body, string Timestamp, string Signature, string DeliveryId, string? ContentType);
}
