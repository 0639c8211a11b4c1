using HumanLoop.Durable.Storage;

namespace HumanLoop.Durable.Tests.Storage;

public sealed class StorageAccountFactoryTests
{
    private const string AccountKeyConnectionString =
        "DefaultEndpointsProtocol=https;AccountName=humanloopprod;AccountKey=c2VjcmV0LWtleS1ub3QtcmVhbA==;EndpointSuffix=core.windows.net";

    [Fact]
    public void FromConnectionString_UseDevelopmentStorage_PointsAtDefaultAzuritePorts()
    {
        var factory = StorageAccountFactory.FromConnectionString("UseDevelopmentStorage=true");

        Assert.True(factory.IsDevelopmentStorage);
        Assert.False(factory.UsesTokenCredential);
        Assert.Equal("devstoreaccount1", factory.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), factory.BlobServiceUri);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), factory.QueueServiceUri);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), factory.TableServiceUri);
        Assert.Equal(10000, factory.CreateBlobServiceClient().Uri.Port);
        Assert.Equal(10001, factory.CreateQueueServiceClient().Uri.Port);
        Assert.Equal(10002, factory.CreateTableServiceClient().Uri.Port);
        Assert.Equal("devstoreaccount1", factory.CreateTableServiceClient().AccountName);
    }

    [Fact]
    public void FromConnectionString_AccountKeyWithoutEndpoints_DerivesPublicEndpoints()
    {
        var factory = StorageAccountFactory.FromConnectionString(AccountKeyConnectionString);

        Assert.False(factory.IsDevelopmentStorage);
        Assert.Equal("humanloopprod", factory.AccountName);
        Assert.Equal(new Uri("https://humanloopprod.blob.core.windows.net"), factory.BlobServiceUri);
        Assert.Equal(new Uri("https://humanloopprod.queue.core.windows.net"), factory.QueueServiceUri);
        Assert.Equal(new Uri("https://humanloopprod.table.core.windows.net"), factory.TableServiceUri);
        Assert.Equal("humanloopprod.queue.core.windows.net", factory.CreateQueueServiceClient().Uri.Host);
    }

    [Fact]
    public void FromConnectionString_SovereignCloudSuffix_IsHonoured()
    {
        var factory = StorageAccountFactory.FromConnectionString(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal(new Uri("https://acct.table.core.chinacloudapi.cn"), factory.TableServiceUri);
    }

    [Fact]
    public void FromConnectionString_Malformed_ThrowsWithoutEchoingTheSecret()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            StorageAccountFactory.FromConnectionString("AccountName=acct;s3cr3tW1thoutEquals"));

        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConnectionString_OnlyBlobEndpoint_ThrowsNamingMissingServices()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            StorageAccountFactory.FromConnectionString("BlobEndpoint=https://x.blob.core.windows.net;SharedAccessSignature=sv=1"));

        Assert.Contains("Queue", error.Message, StringComparison.Ordinal);
        Assert.Contains("Table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConnectionString_DevelopmentStorageWithProxy_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            StorageAccountFactory.FromConnectionString("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://proxy"));
    }

    [Fact]
    public void FromConnectionString_InvalidSettings_ThrowsListingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            StorageAccountFactory.FromConnectionString("UseDevelopmentStorage=true", new StorageClientSettings { MaxRetries = 50 }));

        Assert.Contains("maxRetries", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromAccountName_ValidName_UsesTokenCredentialAndPublicEndpoints()
    {
        var factory = StorageAccountFactory.FromAccountName("humanloopprod");

        Assert.True(factory.UsesTokenCredential);
        Assert.Equal(new Uri("https://humanloopprod.blob.core.windows.net"), factory.BlobServiceUri);
        Assert.Equal(new Uri("https://humanloopprod.queue.core.windows.net"), factory.QueueServiceUri);
        Assert.Equal(new Uri("https://humanloopprod.table.core.windows.net"), factory.TableServiceUri);
        Assert.Equal("humanloopprod", factory.CreateBlobServiceClient().AccountName);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("UpperCase")]
    [InlineData("with-dash")]
    [InlineData("waytoolongaccountname12345")]
    public void FromAccountName_InvalidName_Throws(string accountName)
    {
        var error = Assert.Throws<ArgumentException>(() => StorageAccountFactory.FromAccountName(accountName));

        Assert.Contains(accountName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSettings_ConnectionStringPresent_WinsOverAccountName()
    {
        var factory = StorageAccountFactory.FromSettings(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["AzureWebJobsStorage__accountName"] = "humanloopprod",
        });

        Assert.True(factory.IsDevelopmentStorage);
    }

    [Fact]
    public void FromSettings_EmptyConnectionStringAndAccountName_UsesAccountWithTokenCredential()
    {
        var factory = StorageAccountFactory.FromSettings(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "",
            ["AzureWebJobsStorage:accountName"] = "humanloopprod",
        });

        Assert.True(factory.UsesTokenCredential);
        Assert.Equal("humanloopprod", factory.AccountName);
    }

    [Fact]
    public void FromSettings_BlobServiceUriOnly_DerivesQueueAndTable()
    {
        var factory = StorageAccountFactory.FromSettings(new Dictionary<string, string?>
        {
            ["Storage__serviceUri"] = "https://acct.blob.core.windows.net",
        }, connectionName: "Storage");

        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), factory.QueueServiceUri);
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), factory.TableServiceUri);
        Assert.Equal("acct", factory.AccountName);
    }

    [Fact]
    public void FromSettings_NothingConfigured_ThrowsWithGuidance()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            StorageAccountFactory.FromSettings(new Dictionary<string, string?>()));

        Assert.Contains("UseDevelopmentStorage=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__accountName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSettings_BadConnectionString_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            StorageAccountFactory.FromSettings(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "nonsense" }));

        Assert.Contains("'AzureWebJobsStorage'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_AccountKeyConnectionString_DoesNotRevealTheKey()
    {
        var text = StorageAccountFactory.FromConnectionString(AccountKeyConnectionString).ToString();

        Assert.Contains("humanloopprod", text, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", text, StringComparison.Ordinal);
    }
}
