namespace HumanLoop.Durable.Storage;

/// <summary>The Azure Storage service a request went to.</summary>
public enum StorageService
{
    /// <summary>The service could not be determined (a client not built by <see cref="StorageAccountFactory"/>).</summary>
    Unknown = 0,

    /// <summary>Blob storage.</summary>
    Blob = 1,

    /// <summary>Queue storage.</summary>
    Queue = 2,

    /// <summary>Table storage.</summary>
    Table = 3,
}
