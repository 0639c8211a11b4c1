using HumanLoop.Durable.Azurite;

namespace HumanLoop.Benchmarks;

/// <summary>
/// How the benchmarks start their fresh Azurite: in memory unless <c>HUMANLOOP_BENCH_AZURITE=disk</c>. On disk, Azurite
/// saves its whole store every five seconds, a cost that grows with every row and message it holds and that a real
/// storage account does not have.
/// </summary>
internal static class BenchAzurite
{
    public static bool InMemory { get; } = Environment.GetEnvironmentVariable("HUMANLOOP_BENCH_AZURITE") is not "disk";

    public static string Describe() => InMemory ? "Azurite in memory" : "Azurite on disk";

    /// <summary>Starts a fresh Azurite on free ports, with a data folder of its own under the temporary folder when on disk.</summary>
    /// <param name="prefix">The start of the data folder's name.</param>
    public static Task<AzuriteLauncher> StartAsync(string prefix = "humanloop-bench-") =>
        AzuriteLauncher.StartAsync(new AzuriteOptions
        {
            DataFolder = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")),
            InMemory = InMemory,
        });

    /// <summary>Deletes the Azurite's data folder, if it has one and nothing holds it open.</summary>
    /// <param name="azurite">The Azurite, stopped.</param>
    public static void DeleteData(AzuriteLauncher azurite)
    {
        try
        {
            Directory.Delete(azurite.DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
