using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Tests.DependencyInjection;

public sealed class DurableHumanLoopOptionsTests
{
    [Fact]
    public void StorageProviderOutOfRange_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddDurableHumanLoop(o => o.StorageProvider.PartitionCount = 0);
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DurableHumanLoopOptions>>().Value);

        Assert.Contains("StorageProvider is invalid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyHostJson_CopiesStorageProviderWithoutSharingIt()
    {
        var settings = HostJsonSettings.CreateDefault();
        settings.DurableTask.StorageProvider.PartitionCount = 8;
        var options = new DurableHumanLoopOptions();

        options.ApplyHostJson(settings);
        options.StorageProvider.ControlQueueBufferThreshold = 2;

        Assert.Equal(8, options.StorageProvider.PartitionCount);
        Assert.Equal(64, settings.DurableTask.StorageProvider.ControlQueueBufferThreshold);
    }
}
