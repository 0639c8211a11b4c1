using HumanLoop.Durable.Configuration;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// Loads host.json and local.settings.json the way the Azure Functions host does: host.json keys may be overridden by
/// settings named <c>AzureFunctionsJobHost__extensions__...</c>, and local.settings.json <c>Values</c> sit below
/// environment variables and the command line.
/// </summary>
internal static class HostSettingsLoader
{
    /// <summary>Finds host.json: the configured path, else from the current directory up, else next to the app.</summary>
    public static string? FindHostJson(IConfiguration configuration) =>
        configuration[AppSettings.HostJsonPath] is { Length: > 0 } explicitPath
            ? Path.GetFullPath(explicitPath)
            : HostJsonSettings.Find(Environment.CurrentDirectory) ?? HostJsonSettings.Find();

    /// <summary>Adds local.settings.json's Values (from the current directory, else next to host.json) as the lowest-priority source.</summary>
    /// <returns>The file read, or null when there is none.</returns>
    public static string? AddLocalSettings(ConfigurationManager configuration, string? hostJsonPath)
    {
        var folders = new[] { Environment.CurrentDirectory, hostJsonPath is null ? null : Path.GetDirectoryName(hostJsonPath) };
        foreach (var folder in folders.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var settings = LocalSettings.LoadIfExists(folder);
            if (settings.SourcePath is not null)
            {
                configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
                {
                    InitialData = settings.ToConfigurationPairs(),
                });
                return settings.SourcePath;
            }
        }

        return null;
    }

    /// <summary>Reads host.json (or the defaults when there is none) and applies <c>AzureFunctionsJobHost</c> overrides.</summary>
    /// <exception cref="HostJsonException">host.json or an override is invalid; lists every problem.</exception>
    public static HostJsonSettings Load(string? hostJsonPath, IConfiguration configuration)
    {
        var settings = hostJsonPath is null ? HostJsonSettings.CreateDefault() : HostJsonSettings.Load(hostJsonPath);
        var extensions = configuration.GetSection(AppSettings.HostJsonOverridePrefix).GetSection("extensions");
        try
        {
            extensions.GetSection("durableTask").Bind(settings.DurableTask);
            extensions.GetSection("humanLoop").Bind(settings.HumanLoop);
        }
        catch (InvalidOperationException ex)
        {
            throw new HostJsonException(hostJsonPath, [$"{AppSettings.HostJsonOverridePrefix}__extensions: {ex.Message}"]);
        }

        var problems = settings.Validate();
        return problems.Count == 0 ? settings : throw new HostJsonException(hostJsonPath, problems.Distinct().ToList());
    }
}
