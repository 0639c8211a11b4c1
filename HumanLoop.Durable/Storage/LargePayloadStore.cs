using System.IO.Compression;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// Moves payloads that are too large for a table property or a queue message into the hub's
/// <c>{hub}-largemessages</c> blob container (gzip-compressed) and leaves a short reference
/// (<c>blob:&lt;name&gt;</c>) in their place, as Durable Functions does with its large-message blobs.
/// </summary>
/// <remarks>
/// A reference is recognised by its <see cref="ReferencePrefix"/>. So that inline text can never be
/// mistaken for a reference, a payload that itself starts with the prefix is always offloaded, however small.
/// </remarks>
public sealed partial class LargePayloadStore
{
    /// <summary>The prefix of a payload reference: <c>blob:</c>.</summary>
    public const string ReferencePrefix = "blob:";

    /// <summary>The longest blob name Azure accepts: 1,024 characters.</summary>
    public const int MaxBlobNameLength = 1024;

    private readonly ILogger _logger;

    /// <summary>Initializes a store over a blob container (normally <see cref="TaskHub.TaskHubNames.LargeMessagesContainer"/>).</summary>
    /// <param name="container">The container; it is created on first use if it does not exist.</param>
    /// <param name="logger">Receives a debug entry per offloaded payload; optional.</param>
    public LargePayloadStore(BlobContainerClient container, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        Container = container;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the container payloads are stored in.</summary>
    public BlobContainerClient Container { get; }

    /// <summary>Returns whether <paramref name="value"/> is a reference made by <see cref="OffloadIfLargeAsync"/>.</summary>
    /// <param name="value">A stored value.</param>
    /// <returns><see langword="true"/> when the value starts with <see cref="ReferencePrefix"/>.</returns>
    public static bool IsReference(string? value) =>
        value is not null && value.StartsWith(ReferencePrefix, StringComparison.Ordinal);

    /// <summary>
    /// Returns <paramref name="payload"/> unchanged when it fits in <paramref name="thresholdBytes"/>;
    /// otherwise stores it in the blob <paramref name="blobName"/> (overwriting, so retries are safe) and
    /// returns the reference <c>blob:&lt;blobName&gt;</c>.
    /// </summary>
    /// <param name="payload">The payload, typically JSON.</param>
    /// <param name="blobName">
    /// The blob name, unique per payload (for example <c>{runId}/{messageId}</c>); 1-1,024 characters.
    /// </param>
    /// <param name="thresholdBytes">
    /// The largest payload kept inline, measured as the larger of its UTF-8 and UTF-16 sizes
    /// (see <see cref="StorageLimits.MeasureBytes"/>); for example <see cref="StorageLimits.MaxTablePropertyBytes"/>.
    /// Leave room for whatever else shares the entity or message.
    /// </param>
    /// <param name="cancellationToken">Cancels the upload; the blob may or may not have been written.</param>
    /// <returns>The payload itself or a reference to it.</returns>
    /// <exception cref="ArgumentException">The blob name is empty or too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="thresholdBytes"/> is negative.</exception>
    /// <exception cref="RequestFailedException">Storage refused the upload.</exception>
    public async Task<string> OffloadIfLargeAsync(
        string payload,
        string blobName,
        int thresholdBytes,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ValidateBlobName(blobName);
        ArgumentOutOfRangeException.ThrowIfNegative(thresholdBytes);

        var size = StorageLimits.MeasureBytes(payload);
        if (size <= thresholdBytes && !IsReference(payload))
        {
            return payload;
        }

        var compressed = Compress(payload);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain; charset=utf-8", ContentEncoding = "gzip" },
        };
        var blob = Container.GetBlobClient(blobName);
        try
        {
            await blob.UploadAsync(new BinaryData(compressed), options, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await blob.UploadAsync(new BinaryData(compressed), options, cancellationToken);
        }

        LogOffloaded(_logger, blobName, Container.Name, size, compressed.Length);
        return ReferencePrefix + blobName;
    }

    /// <summary>
    /// Returns the payload a reference points to, or <paramref name="maybeReference"/> itself when it is not a reference.
    /// </summary>
    /// <param name="maybeReference">A value returned by <see cref="OffloadIfLargeAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The original payload.</returns>
    /// <exception cref="InvalidOperationException">The referenced blob does not exist (it was purged or never written).</exception>
    /// <exception cref="RequestFailedException">Storage refused the download.</exception>
    public async Task<string> ResolveAsync(string maybeReference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(maybeReference);
        if (!IsReference(maybeReference))
        {
            return maybeReference;
        }

        var blobName = maybeReference[ReferencePrefix.Length..];
        ValidateBlobName(blobName);
        BlobDownloadStreamingResult download;
        try
        {
            download = (await Container.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new InvalidOperationException(
                $"The payload blob '{blobName}' does not exist in container '{Container.Name}'; it may have been purged.",
                ex);
        }

        using (download)
        {
            var gzip = string.Equals(download.Details.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
            await using var content = gzip ? new GZipStream(download.Content, CompressionMode.Decompress) : download.Content;
            using var reader = new StreamReader(content, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken);
        }
    }

    /// <summary>Deletes the blob behind a reference, for purging a run.</summary>
    /// <param name="reference">A reference returned by <see cref="OffloadIfLargeAsync"/>; other values are ignored.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns><see langword="true"/> when a blob was deleted.</returns>
    /// <exception cref="RequestFailedException">Storage refused the delete.</exception>
    public async Task<bool> DeleteAsync(string reference, CancellationToken cancellationToken = default)
    {
        if (!IsReference(reference))
        {
            return false;
        }

        var blobName = reference[ReferencePrefix.Length..];
        ValidateBlobName(blobName);
        try
        {
            return (await Container.GetBlobClient(blobName).DeleteIfExistsAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            return false;
        }
    }

    private static byte[] Compress(string payload)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new StreamWriter(gzip, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
        {
            writer.Write(payload);
        }

        return buffer.ToArray();
    }

    private static void ValidateBlobName(string blobName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(blobName);
        if (blobName.Length > MaxBlobNameLength)
        {
            throw new ArgumentException($"A blob name has at most {MaxBlobNameLength} characters; this one has {blobName.Length}.", nameof(blobName));
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Offloaded a {Size}-byte payload to blob {BlobName} in {Container} ({CompressedSize} bytes compressed)")]
    private static partial void LogOffloaded(ILogger logger, string blobName, string container, int size, int compressedSize);
}
