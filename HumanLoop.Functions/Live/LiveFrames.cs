using System.Buffers;
using System.Text.Json;
using HumanLoop.Durable.Live;

namespace HumanLoop.Functions.Live;

/// <summary>
/// The server's frames of the live protocol (docs/live.md), as UTF-8 JSON: one per live-log entry (with its
/// <c>seq</c>), and the unsequenced <c>hello</c>, <c>ack</c>, <c>error</c> and <c>pong</c>. WebSocket and SSE send the same JSON.
/// </summary>
internal static class LiveFrames
{
    /// <summary>The protocol version in <c>hello</c>.</summary>
    public const int Protocol = 1;

    /// <summary>The frame type of an entry (<c>chunk</c>, <c>message</c>, <c>prompt</c>...).</summary>
    /// <param name="type">The entry's type.</param>
    public static string TypeName(LiveEntryType type) => type switch
    {
        LiveEntryType.Chunk => "chunk",
        LiveEntryType.Message => "message",
        LiveEntryType.Prompt => "prompt",
        LiveEntryType.Invalid => "invalid",
        LiveEntryType.Accepted => "accepted",
        LiveEntryType.Withdrawn => "withdrawn",
        LiveEntryType.End => "end",
        _ => "status",
    };

    /// <summary>The frame of a live-log entry.</summary>
    /// <param name="entry">The entry.</param>
    public static byte[] Entry(LiveEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Write(w =>
        {
            w.WriteString("type", TypeName(entry.Type));
            w.WriteNumber("seq", entry.Sequence);
            w.WriteString("at", entry.At);
            Optional(w, "node", entry.Node);
            Optional(w, "requestId", entry.RequestId);
            switch (entry.Type)
            {
                case LiveEntryType.Chunk:
                case LiveEntryType.Message:
                    Optional(w, "messageId", entry.MessageId);
                    w.WriteString("text", entry.Text ?? string.Empty);
                    break;
                case LiveEntryType.Prompt:
                    WritePrompt(w, entry);
                    break;
                case LiveEntryType.Invalid:
                case LiveEntryType.Accepted:
                    w.WriteString(entry.Type == LiveEntryType.Invalid ? "message" : "outcome", entry.Type == LiveEntryType.Invalid ? entry.Text ?? "The answer is not valid." : "Accepted");
                    Json(w, "answer", entry.Data);
                    Optional(w, "respondent", entry.Respondent);
                    Optional(w, "channel", entry.Channel);
                    Optional(w, "messageId", entry.MessageId);
                    break;
                case LiveEntryType.End:
                    w.WriteString("status", entry.EventKind ?? "Completed");
                    Optional(w, "message", entry.Text);
                    Json(w, "output", entry.Data);
                    break;
                case LiveEntryType.Withdrawn:
                    break;
                default:
                    Optional(w, "event", entry.EventKind);
                    Optional(w, "message", entry.Text);
                    Json(w, "data", entry.Data);
                    break;
            }
        });
    }

    /// <summary>The first frame of a connection.</summary>
    public static byte[] Hello(string runId, string graph, string status, long lastSequence, long after, int maxMessageBytes) => Write(w =>
    {
        w.WriteString("type", "hello");
        w.WriteNumber("protocol", Protocol);
        w.WriteString("runId", runId);
        w.WriteString("graph", graph);
        w.WriteString("status", status);
        w.WriteNumber("lastSeq", lastSequence);
        w.WriteNumber("after", after);
        w.WriteNumber("maxMessageBytes", maxMessageBytes);
    });

    /// <summary>The server's verdict on an answer.</summary>
    public static byte[] Ack(string clientMessageId, string requestId, string outcome, string? message) => Write(w =>
    {
        w.WriteString("type", "ack");
        w.WriteString("clientMessageId", clientMessageId);
        w.WriteString("requestId", requestId);
        w.WriteString("outcome", outcome);
        Optional(w, "message", message);
    });

    /// <summary>An error: the connection stays open unless the code says otherwise.</summary>
    /// <param name="code">A stable code such as <c>malformed_json</c>.</param>
    /// <param name="status">The HTTP status code it corresponds to.</param>
    /// <param name="message">What was wrong, for people.</param>
    /// <param name="clientMessageId">The client message it answers, when known.</param>
    /// <param name="extra">More members, such as the recorded answer of an already answered request.</param>
    public static byte[] Error(string code, int status, string message, string? clientMessageId = null, IEnumerable<KeyValuePair<string, object?>>? extra = null) => Write(w =>
    {
        w.WriteString("type", "error");
        w.WriteString("code", code);
        w.WriteNumber("status", status);
        w.WriteString("message", message);
        Optional(w, "clientMessageId", clientMessageId);
        foreach (var (name, value) in extra ?? [])
        {
            switch (value)
            {
                case null:
                    break;
                case string text:
                    w.WriteString(name, text);
                    break;
                case JsonElement json:
                    Json(w, name, json);
                    break;
                case long number:
                    w.WriteNumber(name, number);
                    break;
                default:
                    w.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
    });

    /// <summary>The answer to a ping.</summary>
    /// <param name="nonce">The ping's nonce, echoed.</param>
    public static byte[] Pong(string? nonce) => Write(w =>
    {
        w.WriteString("type", "pong");
        Optional(w, "nonce", nonce);
    });

    private static void WritePrompt(Utf8JsonWriter w, LiveEntry entry)
    {
        if (entry.Data is { ValueKind: JsonValueKind.Object } request)
        {
            Copy(w, request, "kind");
            w.WriteString("prompt", request.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String ? prompt.GetString() : entry.Text);
            Copy(w, request, "options");
            Copy(w, request, "details");
            Copy(w, request, "assignees");
            Copy(w, request, "channel");
            Copy(w, request, "maxAttempts");
            Copy(w, request, "escalationLevel");
        }
        else
        {
            Optional(w, "prompt", entry.Text);
        }
    }

    private static void Copy(Utf8JsonWriter w, JsonElement from, string name)
    {
        if (from.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            w.WritePropertyName(name);
            value.WriteTo(w);
        }
    }

    private static void Json(Utf8JsonWriter w, string name, JsonElement? value)
    {
        if (value is { ValueKind: not JsonValueKind.Undefined } json)
        {
            w.WritePropertyName(name);
            json.WriteTo(w);
        }
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
