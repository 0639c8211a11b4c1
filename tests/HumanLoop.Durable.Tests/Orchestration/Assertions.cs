using HumanLoop.Durable.Client;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>Assertions on runs that explain a failure with the engine's own account of it.</summary>
internal static class Assertions
{
    public static async Task CompletedAsync(EngineHost host, RunStatusInfo status)
    {
        if (status.RuntimeStatus == RunStatus.Completed)
        {
            return;
        }

        var instance = await host.Engine.GetInstanceAsync(status.InstanceId, getInputsAndOutputs: true);
        Assert.Fail($"The run is {status.RuntimeStatus}: {status.Error} {instance?.FailureDetails} output {instance?.SerializedOutput}");
    }
}
