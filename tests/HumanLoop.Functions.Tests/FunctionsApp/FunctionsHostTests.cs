using HumanLoop.Functions.Hosting;

namespace HumanLoop.Functions.Tests.FunctionsApp;

public sealed class FunctionsHostTests
{
    private static readonly string[] HostArguments =
        ["--host", "127.0.0.1", "--port", "50123", "--workerId", "w", "--requestId", "r", "--grpcMaxMessageLength", "2147483647",
         "--functions-uri", "http://127.0.0.1:50123/", "--functions-worker-id", "w", "--functions-request-id", "r", "--functions-grpc-max-message-length", "2147483647"];

    [Fact]
    public void IsLaunchedByHost_HostArgumentsAndIsolatedRuntime_IsTrue() =>
        Assert.True(FunctionsHost.IsLaunchedByHost(HostArguments, Environment(("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated"))));

    [Fact]
    public void IsLaunchedByHost_EndpointSettingInsteadOfArguments_IsTrue()
    {
        Assert.True(FunctionsHost.IsLaunchedByHost([], Environment(("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated"), ("Functions__Worker__HostEndpoint", "http://127.0.0.1:50123/"))));
        Assert.True(FunctionsHost.IsLaunchedByHost([], Environment(("functions_worker_runtime", "DOTNET-ISOLATED"), ("Functions:Worker:HostEndpoint", "http://127.0.0.1:50123/"))));
    }

    [Fact]
    public void IsLaunchedByHost_RuntimeSettingWithoutEndpoint_IsFalse() =>
        Assert.False(FunctionsHost.IsLaunchedByHost(["serve", "--urls", "http://0.0.0.0:8080"], Environment(("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated"))));

    [Fact]
    public void IsLaunchedByHost_HostArgumentsWithoutIsolatedRuntime_IsFalse()
    {
        Assert.False(FunctionsHost.IsLaunchedByHost(HostArguments, Environment()));
        Assert.False(FunctionsHost.IsLaunchedByHost(HostArguments, Environment(("FUNCTIONS_WORKER_RUNTIME", "node"))));
    }

    [Fact]
    public void IsLaunchedByHost_CliVerbs_IsFalse()
    {
        var environment = Environment();
        Assert.False(FunctionsHost.IsLaunchedByHost([], environment));
        Assert.False(FunctionsHost.IsLaunchedByHost(["run", "travel"], environment));
        Assert.False(FunctionsHost.IsLaunchedByHost(["--urls", "http://localhost:7072"], environment));
    }

    private static Dictionary<string, string?> Environment(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => (string?)v.Value, StringComparer.OrdinalIgnoreCase);
}
