using System.Globalization;
using System.Text;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Live;
using Microsoft.AspNetCore.Http.Features;

namespace HumanLoop.Functions.Live;

/// <summary>
/// The live channel as Server-Sent Events: the same frames as the WebSocket, one event each, named by the frame's
/// type, with the entry's sequence number as its <c>id</c>, so a browser's <c>EventSource</c> resumes with
/// <c>Last-Event-ID</c> after a drop and gets exactly what it missed. Answers go through the respond API. The stream
/// ends after the run's <c>end</c> event.
/// </summary>
internal static class LiveEventStream
{
    private static readonly byte[] KeepAlive = Encoding.UTF8.GetBytes(": keep-alive\n\n");

    /// <summary>Streams the run's live log after <paramref name="after"/> until the run ends or the client goes.</summary>
    /// <param name="context">The request.</param>
    /// <param name="runId">The run.</param>
    /// <param name="info">The run's status.</param>
    /// <param name="feed">The live feed.</param>
    /// <param name="options">The keep-alive interval.</param>
    /// <param name="after">The last sequence number the client has.</param>
    public static async Task RunAsync(HttpContext context, string runId, RunStatusInfo info, LiveFeed feed, LiveEndpointOptions options, long after)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var writing = new SemaphoreSlim(1, 1);
        var last = await feed.Log.GetLastSequenceAsync(runId, cancellationToken);
        await WriteAsync(response, writing, Event("hello", null, LiveFrames.Hello(runId, info.Name, info.RuntimeStatus.ToString(), last, after, 0), retryMs: 1000), cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keepAlive = KeepAliveAsync(response, writing, options.KeepAliveInterval, stop.Token);
        try
        {
            await foreach (var entry in feed.FollowAsync(runId, after, cancellationToken))
            {
                await WriteAsync(response, writing, Event(LiveFrames.TypeName(entry.Type), entry.Sequence, LiveFrames.Entry(entry)), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await stop.CancelAsync();
            await keepAlive.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static async Task KeepAliveAsync(HttpResponse response, SemaphoreSlim writing, TimeSpan interval, CancellationToken cancellationToken)
    {
        var time = response.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, time, cancellationToken);
            await WriteAsync(response, writing, KeepAlive, cancellationToken);
        }
    }

    private static byte[] Event(string name, long? id, byte[] json, int? retryMs = null)
    {
        var text = new StringBuilder();
        if (retryMs is { } retry)
        {
            text.Append(CultureInfo.InvariantCulture, $"retry: {retry}\n");
        }

        if (id is { } sequence)
        {
            text.Append(CultureInfo.InvariantCulture, $"id: {sequence}\n");
        }

        // The JSON is one line: the writer escapes line breaks inside strings.
        text.Append("event: ").Append(name).Append('\n').Append("data: ").Append(Encoding.UTF8.GetString(json)).Append("\n\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task WriteAsync(HttpResponse response, SemaphoreSlim writing, byte[] bytes, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            await response.Body.WriteAsync(bytes, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }
}
