using Azure.Core;
using Azure.Core.Pipeline;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// Marks each request with the storage service its client talks to, so a policy shared by the Blob,
/// Queue and Table clients (such as <see cref="StorageTransactionCounter"/>) can tell them apart even
/// when all three use the same host, as Azurite does.
/// </summary>
internal sealed class StorageServiceTagPolicy(StorageService service) : HttpPipelineSynchronousPolicy
{
    internal const string PropertyName = "HumanLoop.StorageService";

    public override void OnSendingRequest(HttpMessage message) => message.SetProperty(PropertyName, service);

    internal static StorageService GetService(HttpMessage message)
    {
        if (message.TryGetProperty(PropertyName, out var value) && value is StorageService tagged)
        {
            return tagged;
        }

        // A client built elsewhere: Azure's public endpoints name the service in the host.
        var host = message.Request.Uri.Host ?? string.Empty;
        if (host.Contains(".blob.", StringComparison.OrdinalIgnoreCase))
        {
            return StorageService.Blob;
        }

        if (host.Contains(".queue.", StringComparison.OrdinalIgnoreCase))
        {
            return StorageService.Queue;
        }

        return host.Contains(".table.", StringComparison.OrdinalIgnoreCase) ? StorageService.Table : StorageService.Unknown;
    }
}
