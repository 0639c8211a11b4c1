using Azure.Data.Tables;
using HumanLoop.Durable.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.TestHost;

/// <summary>The registrations shared by the child-process host and the in-process hosts of the tests.</summary>
public static class TestHostSetup
{
    public static DurableHumanLoopBuilder AddTestHub(this IServiceCollection services, string connectionString, string hub, Action<DurableHumanLoopOptions>? configure = null)
    {
        services.AddSingleton(new ExecutionLog(new TableClient(connectionString, hub + "Executions")));
        return services
            .AddDurableHumanLoop(o =>
            {
                o.StorageConnectionString = connectionString;
                o.HubName = hub;
                o.StorageProvider.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500);
                o.StorageProvider.WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(4);
                o.StorageProvider.ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(2);
                o.RecoveryAge = TimeSpan.FromSeconds(3);
                o.RecoverySweepInterval = TimeSpan.FromSeconds(2);
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
                configure?.Invoke(o);
            })
            .AddGraph(TestGraphs.Review)
            .AddGraph(TestGraphs.Timed)
            .AddGraph(TestGraphs.Wide)
            .AddGraph(TestGraphs.Quarterly)
            .AddGraph(TestGraphs.Gated);
    }
}
