namespace HumanLoop.Functions.Api;

/// <summary>Builds the absolute management links of a run from the request that started or asked about it.</summary>
internal static class ManagementUris
{
    /// <summary>The route prefix of Durable Functions' instance management API.</summary>
    public const string InstancesPath = "/runtime/webhooks/durabletask/instances";

    public static string Status(HttpRequest request, string instanceId) =>
        $"{BaseUri(request)}{InstancesPath}/{Uri.EscapeDataString(instanceId)}";

    public static HttpManagementPayload For(HttpRequest request, string instanceId)
    {
        var instance = Status(request, instanceId);
        return new HttpManagementPayload(
            instanceId,
            instance,
            instance + "/raiseEvent/{eventName}",
            instance + "/terminate?reason={text}",
            instance);
    }

    private static string BaseUri(HttpRequest request) =>
        $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";
}
