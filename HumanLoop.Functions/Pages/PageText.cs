using System.Globalization;
using System.Text.Json;
using HumanLoop.Human;

namespace HumanLoop.Functions.Pages;

/// <summary>How the pages write times and answers.</summary>
internal static class PageText
{
    /// <summary>A time in UTC, to the minute: <c>2026-12-01 22:30 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A step's channels in words, such as <c>the console and the callback API</c>.</summary>
    /// <param name="channels">The step's channel flags.</param>
    public static string Channels(HumanChannel channels)
    {
        var names = new List<string>();
        if (channels.HasFlag(HumanChannel.Console))
        {
            names.Add("the console");
        }

        if (channels.HasFlag(HumanChannel.Chat))
        {
            names.Add("live chat");
        }

        if (channels.HasFlag(HumanChannel.Callback))
        {
            names.Add("the callback API");
        }

        if (channels.HasFlag(HumanChannel.Email))
        {
            names.Add("email links");
        }

        return names.Count switch
        {
            0 => "no channel",
            1 => names[0],
            _ => string.Join(", ", names[..^1]) + " and " + names[^1],
        };
    }

    /// <summary>An answer in words: an approval's decision and reason, an edit's kind, a choice, or the JSON.</summary>
    /// <param name="answer">The answer as sent or as recorded (normalised).</param>
    public static string Answer(JsonElement? answer)
    {
        if (answer is not { } value)
        {
            return "(none)";
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString()!;
            case JsonValueKind.Object when value.TryGetProperty("approved", out var approved) && approved.ValueKind is JsonValueKind.True or JsonValueKind.False:
                var reason = value.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                return approved.GetBoolean()
                    ? "Approved" + (reason is null ? string.Empty : ": " + reason)
                    : "Rejected" + (reason is null ? string.Empty : ": " + reason);
            case JsonValueKind.Object when value.TryGetProperty("reject", out var rejectReason) && rejectReason.ValueKind == JsonValueKind.String:
                return "Rejected: " + rejectReason.GetString();
            case JsonValueKind.Object when value.TryGetProperty("rejected", out var rejected) && rejected.ValueKind == JsonValueKind.True:
                return "Rejected" + (value.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? ": " + why.GetString() : string.Empty);
            case JsonValueKind.Object when value.TryGetProperty("unchanged", out var unchanged) && unchanged.ValueKind == JsonValueKind.True:
                return "Approved as is";
            case JsonValueKind.Object when value.TryGetProperty("changed", out var changed) && changed.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return changed.GetBoolean() ? "Approved with edits" : "Approved as is";
            case JsonValueKind.Object when value.TryGetProperty("value", out var edited) && edited.ValueKind == JsonValueKind.String:
                return "Approved with edits";
            default:
                return value.GetRawText();
        }
    }

    /// <summary>An answer stored as JSON text, in words.</summary>
    /// <param name="json">The JSON text, or null.</param>
    public static string Answer(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return "(none)";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return Answer(document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
