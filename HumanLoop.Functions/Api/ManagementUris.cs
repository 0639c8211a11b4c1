using HumanLoop.Functions.Http;

namespace HumanLoop.Functions.Api;

/// <summary>Builds the absolute management links of a run, on the base <see cref="LinkBase"/> chooses for the request.</summary>
internal sealed class ManagementUris(LinkBase linkBase)
{
    /// <summary>The route prefix of Durable Functions' instance management API.</summary>
    public const string InstancesPath = "/runtime/webhooks/durabletask/instances";

    /// <summary>The run's status link; with the caller's API key as <c>code</c>, as Durable Functions' links carry theirs.</summary>
    public string Status(HttpRequest request, string instanceId) => Instance(request, instanceId) + Code(request, '?');

    public HttpManagementPayload For(HttpRequest request, string instanceId)
    {
        var instance = Instance(request, instanceId);
        return new HttpManagementPayload(
            instanceId,
            instance + Code(request, '?'),
            instance + "/raiseEvent/{eventName}" + Code(request, '?'),
            instance + "/terminate?reason={text}" + Code(request, '&'),
            instance + Code(request, '?'));
    }

    private static string Code(HttpRequest request, char separator) =>
        request.HttpContext.PresentedKey() is { } key ? $"{separator}{ApiKeyAuthentication.QueryName}={Uri.EscapeDataString(key)}" : string.Empty;

    private string Instance(HttpRequest request, string instanceId) =>
        $"{linkBase.For(request)}{InstancesPath}/{Uri.EscapeDataString(instanceId)}";
}
