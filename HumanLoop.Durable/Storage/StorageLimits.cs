using System.Text;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// Size limits of Azure Storage (and Azurite) that decide when a payload must go to a blob.
/// </summary>
public static class StorageLimits
{
    /// <summary>Largest table property value: 64 KiB.</summary>
    public const int MaxTablePropertyBytes = 64 * 1024;

    /// <summary>
    /// Largest string table property in characters: 32 Ki UTF-16 characters (strings are stored as UTF-16,
    /// so <see cref="MaxTablePropertyBytes"/> holds half as many characters).
    /// </summary>
    public const int MaxTableStringPropertyChars = MaxTablePropertyBytes / 2;

    /// <summary>Largest table entity, all properties together: 1 MiB.</summary>
    public const int MaxTableEntityBytes = 1024 * 1024;

    /// <summary>Most operations in one entity-group transaction: 100.</summary>
    public const int MaxTableBatchOperations = 100;

    /// <summary>Largest entity-group transaction request body: 4 MiB.</summary>
    public const int MaxTableBatchBytes = 4 * 1024 * 1024;

    /// <summary>Largest queue message: 64 KiB.</summary>
    public const int MaxQueueMessageBytes = 64 * 1024;

    /// <summary>Most messages one receive call returns: 32.</summary>
    public const int MaxQueueReceiveBatch = 32;

    /// <summary>Longest visibility delay of a queue message: 7 days.</summary>
    public static readonly TimeSpan MaxQueueVisibilityDelay = TimeSpan.FromDays(7);

    /// <summary>
    /// The size <see cref="LargePayloadStore"/> compares with a threshold: the larger of the text's
    /// UTF-8 and UTF-16 encodings, so one threshold is safe both for table properties (stored as UTF-16)
    /// and for queue messages (sent as UTF-8).
    /// </summary>
    /// <param name="text">The payload.</param>
    /// <returns>The conservative size in bytes.</returns>
    public static int MeasureBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var utf16 = (long)text.Length * 2;
        if (utf16 > int.MaxValue)
        {
            return int.MaxValue;
        }

        return Math.Max(Encoding.UTF8.GetByteCount(text), (int)utf16);
    }
}
