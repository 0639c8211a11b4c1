using HumanLoop.Durable.Configuration;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Hosting;

public sealed class SettingsDocumentationTests
{
    public static TheoryData<string> AppSettingKeys =>
        new() { AppSettings.Storage, AppSettings.AzuriteAutoStart, AppSettings.MaxRequestBodyBytes, AppSettings.ApiKeys, AppSettings.BaseUrl, AppSettings.ContinuationTokenKey, AppSettings.HostJsonPath,
            AppSettings.AuthAuthority, AppSettings.AuthAudience, AppSettings.AuthIssuer, AppSettings.AuthSigningKeys, AppSettings.AuthRoleClaimType,
            AppSettings.AuthRequireHttpsMetadata, AppSettings.AuthClientId, AppSettings.AuthClientSecret, AppSettings.AuthScopes, AppSettings.AuthUserClaimType,
            AppSettings.AuthCallbackPath, AppSettings.LinkKeyCertificatePath, AppSettings.LinkKeyCertificatePassword, AppSettings.LinkPreviousKeyCertificatePaths,
            AppSettings.CallbackPermitLimit, AppSettings.CallbackWindow, AppSettings.CallbackIdempotencyWindow,
            AppSettings.HttpsRedirection, AppSettings.HstsEnabled, AppSettings.HstsMaxAge, AppSettings.HstsIncludeSubDomains, AppSettings.HstsPreload, AppSettings.SecureCookies };

    [Theory]
    [MemberData(nameof(AppSettingKeys))]
    public void LocalSettingsSample_ListsAndExplainsEverySettingTheAppReads(string key)
    {
        var root = RepositoryPaths.Root();
        var sample = LocalSettings.Load(Path.Combine(root, "local.settings.sample.json"));
        var environmentName = key.Replace(":", "__", StringComparison.Ordinal);

        Assert.True(sample.Values.ContainsKey(environmentName), $"local.settings.sample.json does not list {environmentName}.");
        Assert.Contains($"`{environmentName}`", File.ReadAllText(Path.Combine(root, "docs", "http-api.md")), StringComparison.Ordinal);
    }
}
