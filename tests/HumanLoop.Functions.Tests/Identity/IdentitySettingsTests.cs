using System.Security.Cryptography;
using HumanLoop.Functions.Hosting;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>A wrong identity setting stops start-up with a message naming it (serve exits with 78), instead of a host that refuses every token.</summary>
public sealed class IdentitySettingsTests
{
    public static TheoryData<string, string?, string?, string?, string> Broken
    {
        get
        {
            using var rsa = RSA.Create(2048);
            var pem = rsa.ExportSubjectPublicKeyInfoPem();
            return new()
            {
                { pem, null, "https://issuer.test/", null, AppSettings.AuthAudience },
                { pem, "api", null, null, AppSettings.AuthIssuer },
                { "not a key", "api", "https://issuer.test/", null, AppSettings.AuthSigningKeys },
                { """{"keys":[]}""", "api", "https://issuer.test/", null, AppSettings.AuthSigningKeys },
                { null!, "api", null, "not a url", AppSettings.AuthAuthority },
            };
        }
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void Create_WithABrokenIdentitySetting_ThrowsNamingIt(string? keys, string? audience, string? issuer, string? authority, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            [AppSettings.AzuriteAutoStart] = "false",
            [AppSettings.AuthSigningKeys] = keys,
            [AppSettings.AuthAudience] = audience,
            [AppSettings.AuthIssuer] = issuer,
            [AppSettings.AuthAuthority] = authority,
        };

        var error = Assert.Throws<InvalidOperationException>(() => HumanLoopWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(settings)));

        Assert.Contains($"'{named}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithCallbackLimitsOutOfRange_ThrowsNamingTheSetting()
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            [AppSettings.AzuriteAutoStart] = "false",
            [AppSettings.CallbackPermitLimit] = "0",
        };

        var error = Assert.Throws<InvalidOperationException>(() => HumanLoopWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(settings)));

        Assert.Contains($"'{AppSettings.CallbackPermitLimit}'", error.Message, StringComparison.Ordinal);
    }
}
