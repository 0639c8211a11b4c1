using System.Net.Http.Headers;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>The calls and checks the API tests share. Waits poll an explicit condition with a bounded interval.</summary>
internal static class ApiClient
{
    public const string InstancesPath = "/runtime/webhooks/durabletask/instances";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static string NewId(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}";

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>
    /// Posts a body larger than the server's limit. With <c>Expect: 100-continue</c> the client waits for the server's
    /// verdict before sending the body; without it, the server's early 413 and closed connection can reach the client
    /// as a broken pipe while it is still uploading.
    /// </summary>
    public static async Task<HttpResponseMessage> PostOversizedAsync(this HttpClient client, string path, string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        request.Headers.ExpectContinue = true;
        return await client.SendAsync(request, cancellationToken);
    }

    public static Task<HttpResponseMessage> StartAsync(this HttpClient client, string graph, string? id, string? body, CancellationToken cancellationToken) =>
        client.PostAsync(
            id is null ? $"/api/orchestrators/{graph}" : $"/api/orchestrators/{graph}/{Uri.EscapeDataString(id)}",
            body is null ? null : Json(body),
            cancellationToken);

    /// <summary>Starts a travel run and returns its id, asserting the 202.</summary>
    public static async Task<string> StartTravelAsync(this HttpClient client, CancellationToken cancellationToken, string? id = null, string destination = "Porto")
    {
        id ??= NewId();
        using var response = await client.StartAsync("travel", id, $$"""{"destination":"{{destination}}"}""", cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return id;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetStatusAsync(this HttpClient client, string id, CancellationToken cancellationToken, string query = "")
    {
        using var response = await client.GetAsync($"{InstancesPath}/{Uri.EscapeDataString(id)}{query}", cancellationToken);
        return (response.StatusCode, await ReadJsonAsync(response, cancellationToken));
    }

    /// <summary>Polls the status until the run has an open request; returns that request's id.</summary>
    public static async Task<string> WaitForOpenRequestAsync(this HttpClient client, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (status, body) = await client.GetStatusAsync(id, cancellationToken);
            if (status == HttpStatusCode.Accepted
                && body.GetProperty("customStatus") is { ValueKind: JsonValueKind.Object } custom
                && custom.GetProperty("openRequests").GetArrayLength() > 0)
            {
                return custom.GetProperty("openRequests")[0].GetProperty("id").GetString()!;
            }

            Assert.True(status is HttpStatusCode.Accepted, $"Run {id} stopped waiting: {(int)status} {body}");
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>Polls the status until it answers 200 (finished); returns the body.</summary>
    public static async Task<JsonElement> WaitForFinishedAsync(this HttpClient client, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (status, body) = await client.GetStatusAsync(id, cancellationToken);
            if (status == HttpStatusCode.OK)
            {
                return body;
            }

            Assert.Equal(HttpStatusCode.Accepted, status);
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 problem with the status and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.True(problem.TryGetProperty("type", out _), "A problem has a type.");
        return problem;
    }

    public static MediaTypeHeaderValue JsonMediaType => new("application/json");
}
