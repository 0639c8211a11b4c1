using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class ListInstancesTests(HumanLoopAppFixture app)
{
    private const string ContinuationHeader = "x-ms-continuation-token";
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task List_ByPrefixAndRuntimeStatus_ReturnsOnlyMatchingRuns()
    {
        using var timeout = TestTimeout.Start();
        var prefix = "list" + Guid.NewGuid().ToString("N")[..8];
        var waiting = await _client.StartTravelAsync(timeout.Token, id: $"{prefix}-a");
        var terminated = await _client.StartTravelAsync(timeout.Token, id: $"{prefix}-b");
        await _client.WaitForOpenRequestAsync(waiting, timeout.Token);
        await _client.WaitForOpenRequestAsync(terminated, timeout.Token);
        using (await _client.PostAsync($"{ApiClient.InstancesPath}/{terminated}/terminate", null, timeout.Token))
        {
        }

        await _client.WaitForFinishedAsync(terminated, timeout.Token);

        var all = await ListAsync($"?instanceIdPrefix={prefix}", null, timeout.Token);
        Assert.Equal([waiting, terminated], all.Runs.Select(Id).Order(StringComparer.Ordinal));
        Assert.Null(all.Token);

        var running = await ListAsync($"?instanceIdPrefix={prefix}&runtimeStatus=Running", null, timeout.Token);
        Assert.Equal([waiting], running.Runs.Select(Id));
        Assert.Equal("Running", running.Runs[0].GetProperty("runtimeStatus").GetString());

        var both = await ListAsync($"?instanceIdPrefix={prefix}&runtimeStatus=terminated,%20Completed", null, timeout.Token);
        Assert.Equal([terminated], both.Runs.Select(Id));

        // The list leaves the input out unless asked, as the status shape allows.
        Assert.Equal(JsonValueKind.Null, all.Runs[0].GetProperty("input").ValueKind);
        var withInput = await ListAsync($"?instanceIdPrefix={prefix}&showInput=true", null, timeout.Token);
        Assert.All(withInput.Runs, r => Assert.Equal(JsonValueKind.Object, r.GetProperty("input").ValueKind));
    }

    [Fact]
    public async Task List_WithTop_PagesThroughEveryRunOnceWithTheContinuationHeader()
    {
        using var timeout = TestTimeout.Start(90);
        var prefix = "page" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _client.StartTravelAsync(timeout.Token, id: $"{prefix}-{i}"));
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await ListAsync($"?instanceIdPrefix={prefix}&top=2", token, timeout.Token);
            Assert.InRange(page.Runs.Count, 0, 2);
            seen.AddRange(page.Runs.Select(Id));
            token = page.Token;
            pages++;
            Assert.True(pages <= 10, "Paging did not end.");
        }
        while (token is not null);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.True(pages >= 3, $"5 runs in pages of 2 took {pages} page(s).");
    }

    [Fact]
    public async Task List_ByCreatedTime_ExcludesRunsOutsideTheRange()
    {
        using var timeout = TestTimeout.Start();
        var prefix = "time" + Guid.NewGuid().ToString("N")[..8];
        var id = await _client.StartTravelAsync(timeout.Token, id: $"{prefix}-0");
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        var created = status.GetProperty("createdTime").GetDateTime();

        string Iso(DateTime t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var inside = await ListAsync($"?instanceIdPrefix={prefix}&createdTimeFrom={Iso(created.AddMinutes(-1))}&createdTimeTo={Iso(created.AddMinutes(1))}", null, timeout.Token);
        var after = await ListAsync($"?instanceIdPrefix={prefix}&createdTimeFrom={Iso(created.AddMinutes(1))}", null, timeout.Token);
        var before = await ListAsync($"?instanceIdPrefix={prefix}&createdTimeTo={Iso(created.AddMinutes(-1))}", null, timeout.Token);

        Assert.Equal([id], inside.Runs.Select(Id));
        Assert.Empty(after.Runs);
        Assert.Empty(before.Runs);
    }

    [Theory]
    [InlineData("?runtimeStatus=Sleeping")]
    [InlineData("?runtimeStatus=1")]
    [InlineData("?top=0")]
    [InlineData("?top=abc")]
    [InlineData("?top=100000")]
    [InlineData("?createdTimeFrom=yesterday")]
    [InlineData("?createdTimeTo=2026-13-45")]
    [InlineData("?showInput=sure")]
    public async Task List_InvalidFilter_Returns400Problem(string query)
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.GetAsync(ApiClient.InstancesPath + query, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
    }

    [Theory]
    [InlineData("not-a-token!!")]
    [InlineData("hl1.***")]
    [InlineData("hl1.")]
    public async Task List_ForgedContinuationToken_Returns400Problem(string token)
    {
        using var timeout = TestTimeout.Start();
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiClient.InstancesPath + "?top=1");
        request.Headers.TryAddWithoutValidation(ContinuationHeader, token);
        using var response = await _client.SendAsync(request, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
    }

    private static string Id(JsonElement run) => run.GetProperty("instanceId").GetString()!;

    private async Task<(List<JsonElement> Runs, string? Token)> ListAsync(string query, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiClient.InstancesPath + query);
        if (token is not null)
        {
            request.Headers.Add(ContinuationHeader, token);
        }

        using var response = await _client.SendAsync(request, cancellationToken);
        var body = await ApiClient.ReadJsonAsync(response, cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var next = response.Headers.TryGetValues(ContinuationHeader, out var values) ? values.Single() : null;
        return (body.EnumerateArray().ToList(), next);
    }
}
