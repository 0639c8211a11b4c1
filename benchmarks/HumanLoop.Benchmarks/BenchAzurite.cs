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

    public static AzuriteOptions Options(string dataFolder) => new() { DataFolder = dataFolder, InMemory = InMemory };

    public static string Describe() => InMemory ? "Azurite in memory" : "Azurite on disk";
}
