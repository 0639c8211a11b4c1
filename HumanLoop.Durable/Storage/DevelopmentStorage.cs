using System.Globalization;

namespace HumanLoop.Durable.Storage;

/// <summary>
/// The well-known account of the Azure Storage emulator (Azurite). These values are public and
/// identical on every machine; they are not secrets.
/// </summary>
public static class DevelopmentStorage
{
    /// <summary>The emulator account name, <c>devstoreaccount1</c>.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's published shared key for <see cref="AccountName"/>.</summary>
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The host Azurite listens on by default, <c>127.0.0.1</c>.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>Azurite's default Blob port, 10000.</summary>
    public const int DefaultBlobPort = 10000;

    /// <summary>Azurite's default Queue port, 10001.</summary>
    public const int DefaultQueuePort = 10001;

    /// <summary>Azurite's default Table port, 10002.</summary>
    public const int DefaultTablePort = 10002;

    /// <summary>
    /// Builds a connection string for the emulator account with explicit path-style endpoints
    /// (<c>http://host:port/devstoreaccount1</c>) for the three services.
    /// </summary>
    /// <param name="blobPort">The Blob service port.</param>
    /// <param name="queuePort">The Queue service port.</param>
    /// <param name="tablePort">The Table service port.</param>
    /// <param name="host">The host the emulator listens on. The default is <c>127.0.0.1</c>.</param>
    /// <returns>A connection string accepted by the Blob, Queue and Table clients.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 1..65535.</exception>
    public static string CreateConnectionString(int blobPort, int queuePort, int tablePort, string host = DefaultHost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blobPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blobPort, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(queuePort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(queuePort, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(tablePort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tablePort, 65535);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);

        return string.Create(
            CultureInfo.InvariantCulture,
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://{host}:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://{host}:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://{host}:{tablePort}/{AccountName};");
    }

    /// <summary>
    /// The connection string that <c>UseDevelopmentStorage=true</c> stands for: the emulator
    /// account on <c>127.0.0.1</c> ports 10000 (Blob), 10001 (Queue) and 10002 (Table).
    /// </summary>
    public static string DefaultConnectionString { get; } =
        CreateConnectionString(DefaultBlobPort, DefaultQueuePort, DefaultTablePort);
}
