using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

public sealed class RunStatusSummaryTests
{
    [Fact]
    public void Create_LongPromptWithAnEmojiAtTheCut_ShortensWithoutSplittingTheSurrogatePair()
    {
        // 278 letters, then an emoji (two UTF-16 units) across the cut at 279 characters.
        var prompt = new string('a', 278) + "\U0001F600" + new string('b', 50);
        var state = RunState.Create("r1", "g") with
        {
            Requests = [new HumanRequest { Id = "r1:ask:1", RunId = "r1", Node = "ask", TokenId = "t1", Kind = HumanStepKind.Text, Prompt = prompt }],
        };

        var status = RunStatusSummary.Create(state, []).Deserialize(DurableJsonContext.Default.RunCustomStatus)!;

        var shortened = status.Open.Single().Prompt;
        Assert.Equal(new string('a', 278) + "…", shortened);
        Assert.True(shortened.EnumerateRunes().All(r => r != Rune.ReplacementChar));
    }

    [Fact]
    public void Create_ShortPrompt_KeepsItWhole()
    {
        var state = RunState.Create("r1", "g") with
        {
            Requests = [new HumanRequest { Id = "r1:ask:1", RunId = "r1", Node = "ask", TokenId = "t1", Kind = HumanStepKind.Text, Prompt = "Fly or drive? \U0001F697" }],
        };

        var status = RunStatusSummary.Create(state, []).Deserialize(DurableJsonContext.Default.RunCustomStatus)!;

        Assert.Equal("Fly or drive? \U0001F697", status.Open.Single().Prompt);
    }
}
