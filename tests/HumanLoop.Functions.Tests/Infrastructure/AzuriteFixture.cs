using HumanLoop.Durable.Azurite;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// A real Azurite on free ports with its data in a new temporary folder (ported from HumanLoop.Durable.Tests):
/// <see cref="AzuriteLauncher.StartAsync"/> returns once the Blob, Queue and Table ports answer; disposing stops it and
/// deletes the folder.
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

    public static async Task<TemporaryAzurite> StartAsync(CancellationToken cancellationToken)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-functions-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var launcher = await AzuriteLauncher.StartAsync(new AzuriteOptions { DataFolder = dataFolder }, cancellationToken: cancellationToken);
            return new TemporaryAzurite(launcher, dataFolder);
        }
        catch
        {
            DeleteFolder(dataFolder);
            throw;
        }
    }

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
