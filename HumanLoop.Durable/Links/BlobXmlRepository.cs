using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace HumanLoop.Durable.Links;

/// <summary>
/// The Data Protection key ring in a blob container of the hub's storage account (<c>{hub}-keys</c>), one blob per key
/// or revocation, so every host of the hub protects and reads link tokens and antiforgery tokens with the same keys.
/// </summary>
/// <remarks>
/// Data Protection names each element uniquely (<c>key-{guid}</c>, <c>revocation-{time}</c>), so two hosts that create
/// a key at once each add their own blob and both keys are valid; nothing is ever overwritten. The keys are stored as
/// Data Protection writes them: access to the container is access to the keys, so grant it as to the account.
/// </remarks>
internal sealed class BlobXmlRepository(BlobContainerClient container) : IXmlRepository
{
    private const string Prefix = "keys/";
    private int _created;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        EnsureContainer();
        var elements = new List<XElement>();
        foreach (var item in container.GetBlobs(BlobTraits.None, BlobStates.None, Prefix, CancellationToken.None))
        {
            var content = container.GetBlobClient(item.Name).DownloadContent().Value.Content;
            using var stream = content.ToStream();
            elements.Add(XElement.Load(stream));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        EnsureContainer();
        var name = Prefix + (IsSafe(friendlyName) ? friendlyName : Guid.NewGuid().ToString("N"));
        using var stream = new MemoryStream();
        element.Save(stream, SaveOptions.DisableFormatting);
        for (var attempt = 0; ; attempt++)
        {
            stream.Position = 0;
            try
            {
                container.GetBlobClient(attempt == 0 ? name + ".xml" : $"{name}-{Guid.NewGuid():N}.xml").Upload(
                    stream,
                    new BlobUploadOptions
                    {
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/xml" },
                        Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                    });
                return;
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 3)
            {
                // A blob of that name exists (never expected: names are unique); keep both under distinct names.
            }
        }
    }

    private void EnsureContainer()
    {
        if (Volatile.Read(ref _created) == 0)
        {
            container.CreateIfNotExists();
            Volatile.Write(ref _created, 1);
        }
    }

    private static bool IsSafe(string name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
