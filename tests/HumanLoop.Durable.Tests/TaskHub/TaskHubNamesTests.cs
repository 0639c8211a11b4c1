using System.Text.RegularExpressions;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Tests.TaskHub;

public sealed partial class TaskHubNamesTests
{
    [Fact]
    public void Constructor_DefaultHub_DerivesDurableFunctionsStyleNames()
    {
        var names = new TaskHubNames("HumanLoopHub");

        Assert.Equal(4, names.PartitionCount);
        Assert.Equal("HumanLoopHubInstances", names.InstancesTable);
        Assert.Equal("HumanLoopHubHistory", names.HistoryTable);
        Assert.Equal("HumanLoopHubHumanTasks", names.HumanTasksTable);
        Assert.Equal(
            ["humanloophub-control-00", "humanloophub-control-01", "humanloophub-control-02", "humanloophub-control-03"],
            names.ControlQueues);
        Assert.Equal("humanloophub-workitems", names.WorkItemQueue);
        Assert.Equal("humanloophub-human-tasks", names.HumanTasksQueue);
        Assert.Equal("humanloophub-largemessages", names.LargeMessagesContainer);
        Assert.Equal("humanloophub-leases", names.LeasesContainer);
        Assert.Equal(["HumanLoopHubInstances", "HumanLoopHubHistory", "HumanLoopHubHumanTasks", "HumanLoopHubUsedLinks", "HumanLoopHubNotices", "HumanLoopHubWebhookDeadLetters", "HumanLoopHubAudit", "HumanLoopHubIdempotency", "HumanLoopHubLive", "HumanLoopHubLiveWake"], names.Tables);
        Assert.Equal(6, names.Queues.Count);
        Assert.Equal(["humanloophub-largemessages", "humanloophub-leases", "humanloophub-keys"], names.BlobContainers);
    }

    [Fact]
    public void Constructor_SixteenPartitions_NamesControlQueuesUpTo15()
    {
        var names = new TaskHubNames("Hub", 16);

        Assert.Equal(16, names.ControlQueues.Count);
        Assert.Equal("hub-control-15", names.ControlQueues[^1]);
        Assert.Equal("hub-control-09", names.ControlQueue(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => names.ControlQueue(16));
        Assert.Throws<ArgumentOutOfRangeException>(() => names.ControlQueue(-1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void Constructor_PartitionCountOutOfRange_Throws(int partitionCount)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TaskHubNames("Hub", partitionCount));

        Assert.Contains("between 1 and 16", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("ab", "3-45")]
    [InlineData("a234567890123456789012345678901234567890123456", "3-45")]
    [InlineData("1Hub", "start with a letter")]
    [InlineData("my-hub", "'-' is not allowed")]
    [InlineData("my_hub", "'_' is not allowed")]
    [InlineData("Hüb1", "'ü' is not allowed")]
    [InlineData("Hub\0x", "is not allowed")]
    public void Constructor_InvalidHubName_ThrowsArgumentExceptionSayingWhy(string hubName, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new TaskHubNames(hubName));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal("hubName", error.ParamName);
        Assert.False(TaskHubNames.IsValidHubName(hubName));
    }

    [Fact]
    public void Constructor_NullHubName_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new TaskHubNames(null!));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("A23456789012345678901234567890123456789012345")]
    public void Constructor_LongestAndShortestHubNames_DeriveNamesAzureAccepts(string hubName)
    {
        var names = new TaskHubNames(hubName, 16);

        Assert.All(names.Tables, t => Assert.Matches(TableName(), t));
        Assert.All(names.Queues, q => Assert.Matches(QueueOrContainerName(), q));
        Assert.All(names.BlobContainers, c => Assert.Matches(QueueOrContainerName(), c));
    }

    [Fact]
    public void Equality_SameHubAndPartitions_AreEqual()
    {
        Assert.Equal(new TaskHubNames("Hub", 4), new TaskHubNames("Hub", 4));
        Assert.NotEqual(new TaskHubNames("Hub", 4), new TaskHubNames("Hub", 5));
        Assert.Equal("TaskHubNames { HubName = Hub, PartitionCount = 4 }", new TaskHubNames("Hub").ToString());
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$")]
    private static partial Regex QueueOrContainerName();
}
