using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>Builds the compact custom status of a run, shortening prompts and dropping requests until it fits.</summary>
internal static class RunStatusSummary
{
    private const int PromptChars = 280;
    private const int ShortPromptChars = 40;

    public static JsonElement Create(RunState state, ImmutableArray<ResponseOutcomeSummary> outcomes)
    {
        var open = state.OpenRequests.Select(r => Summarize(r, PromptChars)).ToImmutableArray();
        var status = new RunCustomStatus { Open = open, Outcomes = outcomes, LastEventSequence = state.LastEventSequence };
        var json = JsonSerializer.SerializeToElement(status, DurableJsonContext.Default.RunCustomStatus);
        if (json.GetRawText().Length <= RunCustomStatus.MaxChars)
        {
            return json;
        }

        // Too large: short prompts, fewer outcomes, then as many requests as fit (the task table has them all).
        var requests = state.OpenRequests.Select(r => Summarize(r, ShortPromptChars)).ToList();
        status = status with { Outcomes = outcomes.Length > 8 ? outcomes.RemoveRange(0, outcomes.Length - 8) : outcomes, Truncated = true };
        while (true)
        {
            json = JsonSerializer.SerializeToElement(status with { Open = [.. requests] }, DurableJsonContext.Default.RunCustomStatus);
            if (json.GetRawText().Length <= RunCustomStatus.MaxChars || requests.Count == 0)
            {
                return json;
            }

            requests.RemoveRange(requests.Count / 2, requests.Count - (requests.Count / 2));
        }
    }

    private static string Shorten(string text, int chars)
    {
        if (text.Length <= chars)
        {
            return text;
        }

        // Never cut a surrogate pair in two: a lone surrogate is not valid text in the status.
        var cut = chars - 1;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return string.Concat(text.AsSpan(0, cut), "…");
    }

    private static OpenRequestSummary Summarize(HumanRequest request, int promptChars) => new()
    {
        Id = request.Id,
        Node = request.Node,
        Kind = request.Kind,
        Prompt = Shorten(request.Prompt, promptChars),
        Options = request.Options,
        Assignees = request.Assignees,
        EscalationLevel = request.EscalationLevel,
        Attempts = request.Attempts,
        OpenedAt = request.OpenedAt,
    };
}
