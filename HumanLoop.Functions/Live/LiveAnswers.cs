using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Live;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Live;

/// <summary>
/// Answers that come over the live channel: the respond API's own path (envelope, caller and assignee checks, the run's
/// verdict), recorded on channel <c>chat</c> with the client's message id scoped to the caller. An answer refused by
/// validation is also put in the run's live log as an <c>invalid</c> entry, so every client of the run (and this one
/// after a reload) shows the message in place.
/// </summary>
internal sealed class LiveAnswers(AnswerGate gate, LiveLog log, TimeProvider time)
{
    /// <summary>The channel live answers are recorded on.</summary>
    public const string Channel = "chat";

    /// <summary>The longest client message id.</summary>
    public const int MaxClientMessageIdLength = 200;

    /// <summary>Answers a request and returns the frame to send back: an <c>ack</c> or an <c>error</c>.</summary>
    /// <param name="context">The connection's request (its caller).</param>
    /// <param name="client">The run client.</param>
    /// <param name="runId">The run.</param>
    /// <param name="requestId">The request id or human node name.</param>
    /// <param name="value">The answer.</param>
    /// <param name="clientMessageId">The client's id for this answer: the same id is applied once.</param>
    /// <param name="cancellationToken">Cancels the storage calls and the wait for the run's verdict.</param>
    public async Task<byte[]> AnswerAsync(HttpContext context, IDurableRunClient client, string runId, string requestId, JsonElement value, string clientMessageId, CancellationToken cancellationToken)
    {
        // Scoped to the caller, as callbacks scope their Idempotency-Key: two people's ids never collide.
        var messageId = $"{Channel}:{AnswerCaller.From(context).Id}:{clientMessageId}";
        var body = Envelope(value, messageId);
        var result = await HumanRequestsApi.AnswerAsync(runId, requestId, body, context, client, gate, Channel, null, cancellationToken).ConfigureAwait(false);
        switch (result.Result)
        {
            case Ok<RespondResponse> ok:
                return LiveFrames.Ack(clientMessageId, ok.Value?.Request?.Id ?? requestId, ok.Value?.Status ?? "Accepted", ok.Value?.Message);
            case Accepted<RespondResponse> accepted:
                return LiveFrames.Ack(clientMessageId, accepted.Value?.Request?.Id ?? requestId, accepted.Value?.Status ?? "Buffered", accepted.Value?.Message);
            case ProblemHttpResult { ProblemDetails: var problem }:
                var extensions = problem.Extensions;
                var request = extensions.TryGetValue("request", out var r) && r is Runs.HumanRequest h ? h : null;
                if (problem.Status == StatusCodes.Status400BadRequest && problem.Title == "Answer rejected")
                {
                    await log.AppendAsync(
                        runId,
                        [
                            new LiveEntry
                            {
                                Type = LiveEntryType.Invalid,
                                At = time.GetUtcNow(),
                                Node = request?.Node,
                                RequestId = request?.Id ?? requestId,
                                MessageId = messageId,
                                Text = problem.Detail,
                                Channel = Channel,
                                Data = value,
                            },
                        ],
                        cancellationToken).ConfigureAwait(false);
                    return LiveFrames.Ack(clientMessageId, request?.Id ?? requestId, "Rejected", problem.Detail);
                }

                var extra = new List<KeyValuePair<string, object?>> { new("requestId", request?.Id ?? requestId) };
                if (problem.Status == StatusCodes.Status409Conflict && request is not null)
                {
                    extra.Add(new("respondent", request.Respondent));
                    extra.Add(new("answer", request.Answer));
                }

                return LiveFrames.Error(Code(problem.Status), problem.Status ?? 400, problem.Detail ?? problem.Title ?? "The answer was refused.", clientMessageId, extra);
            default:
                return LiveFrames.Error("error", 500, "The answer could not be handled.", clientMessageId);
        }
    }

    private static JsonElement Envelope(JsonElement answer, string messageId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("answer");
            answer.WriteTo(w);
            w.WriteString("messageId", messageId);
            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string Code(int? status) => status switch
    {
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status409Conflict => "already_answered",
        StatusCodes.Status410Gone => "gone",
        _ => "invalid_answer",
    };
}
