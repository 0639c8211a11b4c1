namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>Requests with exact bytes and headers, and the check that such a request left a waiting run as it was.</summary>
internal static class HostileRequests
{
    /// <summary>A body of exactly <paramref name="body"/>, with <paramref name="contentType"/> sent verbatim (none when null).</summary>
    public static ByteArrayContent Body(byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        }

        return content;
    }

    /// <summary>The UTF-8 bytes of <paramref name="before"/>, then <paramref name="raw"/> as they are, then those of <paramref name="after"/>.</summary>
    public static byte[] Bytes(string before, byte[] raw, string after) => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, byte[] body, string? contentType, CancellationToken cancellationToken) =>
        client.PostAsync(path, Body(body, contentType), cancellationToken);

    public static string RespondPath(string id, string requestId) => $"/api/runs/{id}/requests/{Uri.EscapeDataString(requestId)}/respond";

    public static string RaiseEventPath(string id, string eventName) => $"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(eventName)}";

    /// <summary>Asserts the run is running with <paramref name="requestId"/> open and has taken no answer, valid or not.</summary>
    public static async Task AssertStillWaitingUntouchedAsync(this HttpClient client, string id, string requestId, CancellationToken cancellationToken)
    {
        var (status, run) = await client.GetStatusAsync(id, cancellationToken, "?showHistory=true");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("Running", run.GetProperty("runtimeStatus").GetString());
        Assert.Equal(requestId, run.GetProperty("customStatus").GetProperty("openRequests")[0].GetProperty("id").GetString());
        Assert.DoesNotContain(run.GetProperty("historyEvents").EnumerateArray(), e => e.GetProperty("eventType").GetString() is "InputRejected" or "InputAccepted");
    }

    /// <summary>Answers <paramref name="requestId"/> with "fly" and asserts it is accepted and the run completes with it.</summary>
    public static async Task AssertAValidAnswerIsStillAcceptedAsync(this HttpClient client, string id, string requestId, CancellationToken cancellationToken)
    {
        using (var response = await client.PostAsync(RespondPath(id, requestId), ApiClient.Json("""{"answer":"fly"}"""), cancellationToken))
        {
            var body = await ApiClient.ReadJsonAsync(response, cancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("Accepted", body.GetProperty("status").GetString());
        }

        var final = await client.WaitForFinishedAsync(id, cancellationToken);
        Assert.Equal("Completed", final.GetProperty("runtimeStatus").GetString());
        Assert.Equal("fly", final.GetProperty("output").GetProperty("mode").GetString());
    }
}
