using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Storage;

namespace HumanLoop.Durable.Tests.Configuration;

public sealed class LocalSettingsTests
{
    [Fact]
    public void Parse_Values_KeepsStringsAndScalarTextAndSkipsNulls()
    {
        const string Json = """
            {
              "IsEncrypted": false,
              "Values": {
                "AzureWebJobsStorage": "UseDevelopmentStorage=true",
                "HumanLoop__Smtp__Port": 2525,
                "HumanLoop__Smtp__UseTls": false,
                "Unset": null
              },
              "_comments": { "AzureWebJobsStorage": "ignored" }
            }
            """;

        var settings = LocalSettings.Parse(Json);

        Assert.Equal(3, settings.Values.Count);
        Assert.Equal("UseDevelopmentStorage=true", settings.Values["azurewebjobsstorage"]);
        Assert.Equal("2525", settings.Values["HumanLoop__Smtp__Port"]);
        Assert.Equal("false", settings.Values["HumanLoop__Smtp__UseTls"]);
        Assert.False(settings.Values.ContainsKey("Unset"));
    }

    [Theory]
    [InlineData("""{ "IsEncrypted": true, "Values": {} }""", "IsEncrypted")]
    [InlineData("""{ "Values": { "A": { "nested": 1 } } }""", "Values.A")]
    [InlineData("""{ "Values": [] }""", "Values")]
    [InlineData("""{ "Values": """, "not valid JSON")]
    public void Parse_Unsupported_ThrowsFormatExceptionSayingWhere(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => LocalSettings.Parse(json, "/app/local.settings.json"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("/app/local.settings.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIfExists_NoFile_ReturnsEmpty()
    {
        var folder = Directory.CreateTempSubdirectory("humanloop-durable-tests-");
        try
        {
            Assert.Same(LocalSettings.Empty, LocalSettings.LoadIfExists(folder.FullName));
        }
        finally
        {
            folder.Delete();
        }
    }

    [Fact]
    public void ToConfigurationPairs_DoubleUnderscores_BecomeColons()
    {
        var settings = LocalSettings.Parse("""{ "Values": { "HumanLoop__Smtp__Host": "localhost" } }""");

        var pair = Assert.Single(settings.ToConfigurationPairs());

        Assert.Equal("HumanLoop:Smtp:Host", pair.Key);
        Assert.Equal("localhost", pair.Value);
    }

    [Fact]
    public void ApplyToEnvironment_ExistingVariable_WinsUnlessOverwriting()
    {
        var existing = "HL_TEST_" + Guid.NewGuid().ToString("N");
        var fresh = "HL_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(existing, "from-environment");
        try
        {
            var settings = LocalSettings.Parse($$"""{ "Values": { "{{existing}}": "from-file", "{{fresh}}": "new" } }""");

            var applied = settings.ApplyToEnvironment();

            Assert.Equal([fresh], applied);
            Assert.Equal("from-environment", Environment.GetEnvironmentVariable(existing));
            Assert.Equal("new", Environment.GetEnvironmentVariable(fresh));

            settings.ApplyToEnvironment(overwrite: true);
            Assert.Equal("from-file", Environment.GetEnvironmentVariable(existing));
        }
        finally
        {
            Environment.SetEnvironmentVariable(existing, null);
            Environment.SetEnvironmentVariable(fresh, null);
        }
    }

    [Fact]
    public void Load_RepositorySample_SelectsDevelopmentStorage()
    {
        var hostJson = HostJsonSettings.Find();
        Assert.NotNull(hostJson);
        var sample = Path.Combine(Path.GetDirectoryName(hostJson)!, "local.settings.sample.json");

        var settings = LocalSettings.Load(sample);
        var factory = StorageAccountFactory.FromSettings(settings.Values.ToDictionary(p => p.Key, p => (string?)p.Value));

        Assert.True(factory.IsDevelopmentStorage);
        Assert.True(settings.Values.ContainsKey("AzureWebJobsStorage__accountName"));

        // Every value is explained in _comments.
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sample));
        var comments = document.RootElement.GetProperty("_comments");
        Assert.All(settings.Values.Keys, key => Assert.True(comments.TryGetProperty(key, out _), $"{key} has no comment."));
    }
}
