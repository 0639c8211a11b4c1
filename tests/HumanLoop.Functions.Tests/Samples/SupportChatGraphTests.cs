using HumanLoop.Functions.Samples;
using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Tests.Samples;

public sealed class SupportChatGraphTests
{
    private static readonly HumanLoop.Graphs.CompiledGraph<SupportChatState> Graph = SupportChatGraph.Build();

    [Theory]
    [InlineData("I have an existing account", "existing")]
    [InlineData("yes, I already have one", "existing")]
    [InlineData("I forgot my password", "existing")]
    [InlineData("I want a new one", "new")]
    [InlineData("I don't have an account yet", "new")]
    [InlineData("Please create one for me", "new")]
    [InlineData("bananas", null)]
    [InlineData("", null)]
    public void InterpretAccount_FreeFormReply_MapsOntoAnOptionOrNothing(string reply, string? expected) =>
        Assert.Equal(expected, SupportChatGraph.InterpretAccount(reply));

    [Theory]
    [InlineData("\"NEW\"", null)]
    [InlineData("\"I have an existing account\"", null)]
    [InlineData("\"what?\"", "'what?' is not one of the allowed choices: existing, new.")]
    [InlineData("42", "'42' is not one of the allowed choices: existing, new.")]
    public void CheckAnswer_Account_AcceptsOptionsAndMappedRepliesAndNamesTheOptionsOtherwise(string answer, string? error) =>
        Assert.Equal(error, Graph.CheckAnswer("account", Graph.ToJson(new SupportChatState()), JsonDocument.Parse(answer).RootElement));

    [Theory]
    [InlineData("alice.smith", true)]
    [InlineData("ab", false)]
    [InlineData("has space", false)]
    [InlineData("-leading", false)]
    public void CheckAnswer_Username_FollowsThePattern(string name, bool valid) =>
        Assert.Equal(valid, Graph.CheckAnswer("username", Graph.ToJson(new SupportChatState(Account: "existing")), JsonSerializer.SerializeToElement(name)) is null);

    [Fact]
    public async Task OfflineAgent_Streams_TheSameReplyWordByWord()
    {
        using var agent = new OfflineSupportAgent(TimeSpan.Zero);
        List<ChatMessage> messages = [new(ChatRole.User, "Account: new\nUsername: zoe")];
        var pieces = new List<string>();
        await foreach (var update in agent.GetStreamingResponseAsync(messages))
        {
            pieces.Add(update.Text);
        }

        var whole = (await agent.GetResponseAsync(messages)).Text;
        Assert.Equal(whole, string.Concat(pieces));
        Assert.True(pieces.Count > 10);
        Assert.Contains("zoe", whole, StringComparison.Ordinal);
    }
}
