using System.Diagnostics;
using HumanLoop.Functions.Cli;
using HumanLoop.Functions.Samples;

namespace HumanLoop.Functions.Tests.Cli;

public sealed class ConsoleRunnerTests
{
    private static async Task<(int Code, string Output)> RunTravelAsync(string typed)
    {
        var sample = SampleGraphs.ByName["travel"];
        var output = new StringWriter();
        var runner = new ConsoleRunner(new StringReader(typed), output, TimeProvider.System, echoInput: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int code = await runner.RunAsync(sample.Graph, sample.DefaultInput, sample.Describe, timeout.Token);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Travel_InvalidThenValid_ReAsksNamingChoicesAndPrintsPlan()
    {
        var (code, output) = await RunTravelAsync("walk\nfly\n");

        Assert.Equal(ConsoleRunner.Completed, code);
        Assert.Equal(2, CountOf(output, "fly or drive? [fly/drive] > "));
        Assert.Contains("Invalid answer: 'walk' is not one of the allowed choices: fly, drive.", output, StringComparison.Ordinal);
        Assert.Contains("Plan: Fly to Lisbon:", output, StringComparison.Ordinal);
        Assert.Contains("(mode 'fly' chosen by console:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Travel_ThreeInvalidReplies_TakesTheDeclaredDefault()
    {
        var (code, output) = await RunTravelAsync("walk\nswim\nteleport\nfly\n");

        Assert.Equal(ConsoleRunner.Completed, code);
        Assert.Equal(3, CountOf(output, "Invalid answer:"));
        Assert.Contains($"taking the default: {TravelGraph.DefaultMode}.", output, StringComparison.Ordinal);
        Assert.Contains("Plan: Drive to Lisbon:", output, StringComparison.Ordinal);
        Assert.Contains("chosen by system:default", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Travel_InputEndsBeforeAnswer_ExitsWithInputEnded()
    {
        var (code, output) = await RunTravelAsync("walk\n");

        Assert.Equal(ConsoleRunner.InputEnded, code);
        Assert.Contains("Input ended while 'choose_mode' was waiting for an answer", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunVerb_PipedStandardInput_CompletesAndExitsZero()
    {
        var app = Path.Combine(AppContext.BaseDirectory, "HumanLoop.Functions.dll");
        var start = new ProcessStartInfo("dotnet", [app, "run", "travel"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync("walk\nfly\n");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        var output = await stdout;
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("fly or drive? [fly/drive] > walk", output, StringComparison.Ordinal);
        Assert.Contains("Invalid answer: 'walk' is not one of the allowed choices: fly, drive.", output, StringComparison.Ordinal);
        Assert.Contains("Plan: Fly to Lisbon:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GraphVerb_PrintsMermaidWithHumanNodeMarked()
    {
        var output = new StringWriter();

        int code = await CommandLine.PrintGraphAsync(["graph", "travel"], output, TextWriter.Null);

        Assert.Equal(0, code);
        Assert.Contains("n_choose_mode{{\"&#128100; choose_mode (choice)\"}}:::human", output.ToString(), StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
