using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Storage;

namespace HumanLoop.Testing;

/// <summary>
/// An Azurite instance on free ports with its data in a new temporary folder, deleted on dispose. Shared by the test
/// projects (compiled into each): <see cref="AzuriteLauncher.StartAsync"/> returns once the Blob, Queue and Table ports answer.
/// </summary>
internal sealed class TemporaryAzurite : IAsyncDisposable
{
    private TemporaryAzurite(AzuriteLauncher launcher, string dataFolder)
    {
        Launcher = launcher;
        DataFolder = dataFolder;
    }

    public AzuriteLauncher Launcher { get; }

    public string DataFolder { get; }

    public static async Task<TemporaryAzurite> StartAsync(Microsoft.Extensions.Logging.ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var launcher = await AzuriteLauncher.StartAsync(new AzuriteOptions { DataFolder = dataFolder }, logger, cancellationToken);
            return new TemporaryAzurite(launcher, dataFolder);
        }
        catch
        {
            DeleteFolder(dataFolder);
            throw;
        }
    }

    public StorageAccountFactory CreateFactory(StorageClientSettings? settings = null) =>
        StorageAccountFactory.FromConnectionString(Launcher.ConnectionString, settings);

    public async ValueTask DisposeAsync()
    {
        await Launcher.DisposeAsync();
        DeleteFolder(DataFolder);
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
