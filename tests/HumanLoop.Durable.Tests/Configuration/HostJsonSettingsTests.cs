using HumanLoop.Durable.Configuration;

namespace HumanLoop.Durable.Tests.Configuration;

public sealed class HostJsonSettingsTests
{
    [Fact]
    public void Parse_NoExtensions_UsesEveryDefault()
    {
        var settings = HostJsonSettings.Parse("""{ "version": "2.0" }""");

        Assert.Equal("HumanLoopHub", settings.DurableTask.HubName);
        var provider = settings.DurableTask.StorageProvider;
        Assert.Equal(4, provider.PartitionCount);
        Assert.Equal(TimeSpan.FromSeconds(1), provider.MaxQueuePollingInterval);
        Assert.Equal(32, provider.ControlQueueBatchSize);
        Assert.Equal(64, provider.ControlQueueBufferThreshold);
        Assert.True(provider.UseTablePartitionManagement);
        Assert.Equal(TimeSpan.FromMinutes(5), provider.ControlQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), provider.WorkItemQueueVisibilityTimeout);
        Assert.Equal(7071, settings.HumanLoop.Port);
        Assert.Equal(".azurite", settings.HumanLoop.AzuriteDataFolder);
        Assert.Null(settings.SourcePath);
    }

    [Fact]
    public void Parse_EveryKeyWithOddCaseAndComments_ReadsEveryValue()
    {
        const string Json = """
            {
              // Functions allows comments and trailing commas.
              "version": "2.0",
              "Extensions": {
                "DurableTask": {
                  "HubName": "OrdersHub",
                  "maxConcurrentActivityFunctions": 24,
                  "maxConcurrentOrchestratorFunctions": 12,
                  "extendedSessionsEnabled": false,
                  "extendedSessionIdleTimeoutInSeconds": 45,
                  "storageProvider": {
                    "PARTITIONCOUNT": 8,
                    "maxQueuePollingInterval": "00:00:30",
                    "controlQueueBatchSize": "16",
                    "controlQueueBufferThreshold": 128,
                    "useTablePartitionManagement": false,
                    "controlQueueVisibilityTimeout": "00:02:00",
                    "workItemQueueVisibilityTimeout": "1.00:00:00",
                    "someDurableFunctionsKeyWeIgnore": true,
                  },
                },
                "humanLoop": {
                  "port": 8080, "azuriteDataFolder": "/var/azurite", "publishHumanTasks": "false",
                  "shutdownGracePeriod": "00:00:30", "continueAsNewAfter": 40, "responseTimeout": "00:00:02",
                },
              },
            }
            """;

        var settings = HostJsonSettings.Parse(Json);

        Assert.Equal("OrdersHub", settings.DurableTask.HubName);
        var provider = settings.DurableTask.StorageProvider;
        Assert.Equal(8, provider.PartitionCount);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.MaxQueuePollingInterval);
        Assert.Equal(16, provider.ControlQueueBatchSize);
        Assert.Equal(128, provider.ControlQueueBufferThreshold);
        Assert.False(provider.UseTablePartitionManagement);
        Assert.Equal(TimeSpan.FromMinutes(2), provider.ControlQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromDays(1), provider.WorkItemQueueVisibilityTimeout);
        Assert.Equal(8080, settings.HumanLoop.Port);
        Assert.Equal("/var/azurite", settings.HumanLoop.AzuriteDataFolder);
        Assert.Equal(new HumanLoop.Durable.TaskHub.TaskHubNames("OrdersHub", 8), settings.CreateTaskHubNames());

        var options = new HumanLoop.Durable.DependencyInjection.DurableHumanLoopOptions();
        options.ApplyHostJson(settings);
        Assert.Equal(24, options.MaxConcurrentNodes);
        Assert.False(options.PublishHumanTasks);
        Assert.Equal(12, options.MaxConcurrentOrchestrations);
        Assert.False(options.ExtendedSessionsEnabled);
        Assert.Equal(TimeSpan.FromSeconds(45), options.ExtendedSessionIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ShutdownGracePeriod);
        Assert.Equal(40, options.ContinueAsNewAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ResponseTimeout);
    }

    [Fact]
    public void Parse_SeveralInvalidValues_ReportsEveryProblemWithItsPath()
    {
        const string Json = """
            {
              "version": "2.0",
              "extensions": {
                "durableTask": {
                  "hubName": "bad-hub",
                  "storageProvider": {
                    "partitionCount": 17,
                    "maxQueuePollingInterval": "soon",
                    "controlQueueBatchSize": 0,
                    "controlQueueBufferThreshold": "many"
                  },
                  "maxConcurrentActivityFunctions": 0
                },
                "humanLoop": { "port": 0, "azuriteDataFolder": "", "publishHumanTasks": "sometimes", "responseTimeout": "02:00:00", "continueAsNewAfter": 1 }
              }
            }
            """;

        var error = Assert.Throws<HostJsonException>(() => HostJsonSettings.Parse(Json, "/app/host.json"));

        Assert.Equal("/app/host.json", error.SourcePath);
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.hubName:", StringComparison.Ordinal) && p.Contains("'-' is not allowed", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.storageProvider.partitionCount:", StringComparison.Ordinal) && p.Contains("between 1 and 16", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.storageProvider.maxQueuePollingInterval:", StringComparison.Ordinal) && p.Contains("\"soon\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.storageProvider.controlQueueBatchSize:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.storageProvider.controlQueueBufferThreshold:", StringComparison.Ordinal) && p.Contains("whole number", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.humanLoop.port:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.humanLoop.azuriteDataFolder:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.durableTask.maxConcurrentActivityFunctions:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.humanLoop.publishHumanTasks:", StringComparison.Ordinal) && p.Contains("true or false", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.humanLoop.responseTimeout:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("extensions.humanLoop.continueAsNewAfter:", StringComparison.Ordinal));
        Assert.Equal(11, error.Problems.Count);
        Assert.Contains("/app/host.json", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("5")]
    [InlineData("\"00:00:00\"")]
    [InlineData("\"02:00:00\"")]
    public void Parse_PollingIntervalAmbiguousOrOutOfRange_IsRejected(string value)
    {
        var json = $$"""{ "extensions": { "durableTask": { "storageProvider": { "maxQueuePollingInterval": {{value}} } } } }""";

        var error = Assert.Throws<HostJsonException>(() => HostJsonSettings.Parse(json));

        Assert.Single(error.Problems);
        Assert.StartsWith("extensions.durableTask.storageProvider.maxQueuePollingInterval:", error.Problems[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[]")]
    [InlineData("""{ "version": "1.0" }""")]
    [InlineData("""{ "extensions": { "durableTask": "HumanLoopHub" } }""")]
    public void Parse_MalformedDocument_ThrowsHostJsonException(string json)
    {
        var error = Assert.Throws<HostJsonException>(() => HostJsonSettings.Parse(json));

        Assert.NotEmpty(error.Problems);
    }

    [Fact]
    public async Task LoadAsync_File_RecordsSourceAndResolvesPathsAgainstItsFolder()
    {
        var folder = Directory.CreateTempSubdirectory("humanloop-durable-tests-");
        try
        {
            var path = Path.Combine(folder.FullName, HostJsonSettings.FileName);
            await File.WriteAllTextAsync(path, """{ "extensions": { "humanLoop": { "azuriteDataFolder": "data/azurite" } } }""");

            var settings = await HostJsonSettings.LoadAsync(path);

            Assert.Equal(path, settings.SourcePath);
            Assert.Equal(Path.Combine(folder.FullName, "data", "azurite"), settings.ResolvePath(settings.HumanLoop.AzuriteDataFolder));
            Assert.Equal("/abs", settings.ResolvePath("/abs"));
            Assert.Equal(path, HostJsonSettings.Find(Path.Combine(folder.FullName)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => HostJsonSettings.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "host.json")));
    }

    [Fact]
    public void Load_RepositoryHostJson_IsValidAndStatesTheDefaults()
    {
        var path = HostJsonSettings.Find();
        Assert.NotNull(path);

        var settings = HostJsonSettings.Load(path);

        var defaults = HostJsonSettings.CreateDefault();
        Assert.Equal(defaults.DurableTask.HubName, settings.DurableTask.HubName);
        Assert.Equal(defaults.DurableTask.StorageProvider.PartitionCount, settings.DurableTask.StorageProvider.PartitionCount);
        Assert.Equal(defaults.DurableTask.StorageProvider.MaxQueuePollingInterval, settings.DurableTask.StorageProvider.MaxQueuePollingInterval);
        Assert.Equal(defaults.DurableTask.StorageProvider.ControlQueueBatchSize, settings.DurableTask.StorageProvider.ControlQueueBatchSize);
        Assert.Equal(defaults.DurableTask.StorageProvider.ControlQueueBufferThreshold, settings.DurableTask.StorageProvider.ControlQueueBufferThreshold);
        Assert.Equal(defaults.HumanLoop.Port, settings.HumanLoop.Port);
        Assert.Equal(defaults.HumanLoop.AzuriteDataFolder, settings.HumanLoop.AzuriteDataFolder);

        // The runtime keys it spells out are the runtime's own defaults.
        var runtimeDefaults = new HumanLoop.Durable.DependencyInjection.DurableHumanLoopOptions();
        Assert.Equal(runtimeDefaults.MaxConcurrentNodes, settings.DurableTask.MaxConcurrentActivityFunctions);
        Assert.Equal(runtimeDefaults.PublishHumanTasks, settings.HumanLoop.PublishHumanTasks);
        Assert.Equal(runtimeDefaults.MaxConcurrentOrchestrations, settings.DurableTask.MaxConcurrentOrchestratorFunctions);
        Assert.Equal(runtimeDefaults.ExtendedSessionsEnabled, settings.DurableTask.ExtendedSessionsEnabled);
        Assert.Equal(runtimeDefaults.ShutdownGracePeriod, settings.HumanLoop.ShutdownGracePeriod);
        Assert.Equal(runtimeDefaults.ContinueAsNewAfter, settings.HumanLoop.ContinueAsNewAfter);
        Assert.Equal(runtimeDefaults.ResponseTimeout, settings.HumanLoop.ResponseTimeout);

        // Partitions are leased through a table, not blobs (docs/storage.md says why), and no session holds a slot.
        Assert.True(settings.DurableTask.StorageProvider.UseTablePartitionManagement);
        Assert.False(settings.DurableTask.ExtendedSessionsEnabled);
    }
}
