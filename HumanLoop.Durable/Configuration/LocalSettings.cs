using System.Text.Json;

namespace HumanLoop.Durable.Configuration;

/// <summary>
/// The <c>Values</c> of an Azure Functions <c>local.settings.json</c>: environment-style app settings
/// such as <c>AzureWebJobsStorage</c> or <c>HumanLoop__Smtp__Host</c>, for local runs only (the file
/// is git-ignored; <c>local.settings.sample.json</c> is the committed template).
/// </summary>
public sealed class LocalSettings
{
    /// <summary>The file name: <c>local.settings.json</c>.</summary>
    public const string FileName = "local.settings.json";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private LocalSettings(IReadOnlyDictionary<string, string> values, string? sourcePath)
    {
        Values = values;
        SourcePath = sourcePath;
    }

    /// <summary>Gets the settings with no values, used when there is no file.</summary>
    public static LocalSettings Empty { get; } =
        new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), sourcePath: null);

    /// <summary>Gets the values, keyed case-insensitively as app settings are.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Gets the full path of the file the values came from, or <see langword="null"/>.</summary>
    public string? SourcePath { get; }

    /// <summary>Reads a local.settings.json file.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>The values.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not valid JSON, has a non-scalar value, or is encrypted.</exception>
    public static LocalSettings Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"No {FileName} at '{fullPath}'.", fullPath);
        }

        return Parse(File.ReadAllText(fullPath), fullPath);
    }

    /// <summary>Reads <c>local.settings.json</c> from <paramref name="directory"/> when it exists.</summary>
    /// <param name="directory">The folder to look in (not its parents).</param>
    /// <returns>The values, or <see cref="Empty"/> when the folder has no such file.</returns>
    /// <exception cref="FormatException">The file exists but is invalid.</exception>
    public static LocalSettings LoadIfExists(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? Load(path) : Empty;
    }

    /// <summary>Parses local.settings.json text.</summary>
    /// <param name="json">The file content.</param>
    /// <param name="sourcePath">Where the text came from, for messages; may be <see langword="null"/>.</param>
    /// <returns>The values. Strings are kept as is; numbers and booleans as their JSON text; null values are skipped.</returns>
    /// <exception cref="FormatException">The text is not valid JSON, has a non-scalar value, or is encrypted.</exception>
    public static LocalSettings Parse(string json, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        var where = sourcePath ?? FileName;
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{where}: the root must be a JSON object.");
            }

            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("IsEncrypted") && property.Value.ValueKind == JsonValueKind.True)
                {
                    throw new FormatException(
                        $"{where}: encrypted values (IsEncrypted: true) are not supported; decrypt them and set IsEncrypted to false.");
                }

                if (!property.NameEquals("Values"))
                {
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"{where}: Values must be an object of name/value pairs.");
                }

                foreach (var value in property.Value.EnumerateObject())
                {
                    switch (value.Value.ValueKind)
                    {
                        case JsonValueKind.String:
                            values[value.Name] = value.Value.GetString()!;
                            break;
                        case JsonValueKind.Number:
                        case JsonValueKind.True:
                        case JsonValueKind.False:
                            values[value.Name] = value.Value.GetRawText();
                            break;
                        case JsonValueKind.Null:
                            break;
                        default:
                            throw new FormatException($"{where}: Values.{value.Name} must be a string, number or boolean, not an object or array.");
                    }
                }
            }

            return new LocalSettings(values, sourcePath);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{where} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Returns the values with configuration-style keys: <c>__</c> becomes <c>:</c>
    /// (<c>HumanLoop__Smtp__Host</c> becomes <c>HumanLoop:Smtp:Host</c>), as the environment-variables
    /// configuration provider does.
    /// </summary>
    /// <returns>The pairs, ready for an in-memory configuration source.</returns>
    public IEnumerable<KeyValuePair<string, string?>> ToConfigurationPairs() =>
        Values.Select(p => new KeyValuePair<string, string?>(p.Key.Replace("__", ":", StringComparison.Ordinal), p.Value));

    /// <summary>
    /// Sets each value as a process environment variable, the way the Functions tools do for local runs.
    /// </summary>
    /// <param name="overwrite">
    /// When <see langword="false"/> (the default), a variable already set in the environment wins over the file.
    /// </param>
    /// <returns>The names of the variables that were set.</returns>
    public IReadOnlyList<string> ApplyToEnvironment(bool overwrite = false)
    {
        var applied = new List<string>();
        foreach (var (name, value) in Values)
        {
            if (overwrite || Environment.GetEnvironmentVariable(name) is null)
            {
                Environment.SetEnvironmentVariable(name, value);
                applied.Add(name);
            }
        }

        return applied;
    }
}
