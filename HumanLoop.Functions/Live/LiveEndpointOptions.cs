using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Functions.Live;

/// <summary>The live channel's endpoint settings, bound from <c>HumanLoop:Live</c> (see docs/live.md).</summary>
public sealed class LiveEndpointOptions
{
    /// <summary>The largest message a client may send over the WebSocket, in bytes; larger ones get a <c>too_large</c> error frame. The default is 65,536.</summary>
    [Range(1024, 1_048_576)]
    public int MaxMessageBytes { get; set; } = 65_536;

    /// <summary>
    /// Origins besides the app's own (the request's scheme and host) whose pages may open the live channel, such as
    /// <c>https://support.example.com</c>. A request with another <c>Origin</c> gets 403; a request without one (not a
    /// browser) is let through to authentication. The default is none.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// How many messages a second one WebSocket may send, on average; a client may send twice as many in a burst. A
    /// message beyond that is dropped with a <c>rate_limited</c> error frame (429) naming when to send again, and the
    /// connection stays open. The default is 10.
    /// </summary>
    [Range(1, 1000)]
    public int MaxMessagesPerSecond { get; set; } = 10;

    /// <summary>How often the WebSocket sends a keep-alive ping frame, and SSE a comment, while nothing else is sent. The default is 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);
}
