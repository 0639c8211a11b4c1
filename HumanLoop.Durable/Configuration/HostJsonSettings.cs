using System.Globalization;
using System.Text.Json;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Configuration;

/// <summary>
/// The settings HumanLoop reads from host.json: <c>extensions.durableTask</c> (Durable Functions' keys)
/// and <c>extensions.humanLoop</c> (HumanLoop's own). Keys are matched case-insensitively, comments and
/// trailing commas are allowed, unknown keys are ignored and missing keys keep their defaults, as in
/// the Azure Functions host.
/// </summary>
/// <example>
/// <code language="json">
/// {
///   "version": "2.0",
///   "extensions": {
///     "durableTask": {
///       "hubName": "HumanLoopHub",
///       "maxConcurrentActivityFunctions": 100,
///       "storageProvider": { "partitionCount": 4, "maxQueuePollingInterval": "00:00:01" }
///     },
///     "humanLoop": { "port": 7071, "azuriteDataFolder": ".azurite", "publishHumanTasks": true, "continueAsNewAfter": 100 }
///   }
/// }
/// </code>
/// </example>
public sealed class HostJsonSettings
{
    /// <summary>The file name: <c>host.json</c>.</summary>
    public const string FileName = "host.json";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private HostJsonSettings(DurableTaskOptions durableTask, HumanLoopHostOptions humanLoop, string? sourcePath)
    {
        DurableTask = durableTask;
        HumanLoop = humanLoop;
        SourcePath = sourcePath;
    }

    /// <summary>Gets the <c>extensions.durableTask</c> section.</summary>
    public DurableTaskOptions DurableTask { get; }

    /// <summary>Gets the <c>extensions.humanLoop</c> section.</summary>
    public HumanLoopHostOptions HumanLoop { get; }

    /// <summary>Gets the full path of the file the settings came from, or <see langword="null"/> for defaults or parsed text.</summary>
    public string? SourcePath { get; }

    /// <summary>Returns settings with every default, as if host.json had no extensions section.</summary>
    /// <returns>New default settings.</returns>
    public static HostJsonSettings CreateDefault() => new(new DurableTaskOptions(), new HumanLoopHostOptions(), sourcePath: null);

    /// <summary>Reads and validates a host.json file.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="HostJsonException">The file is not valid JSON or has invalid values; the exception lists every problem.</exception>
    public static HostJsonSettings Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = RequireFile(path);
        return Parse(File.ReadAllText(fullPath), fullPath);
    }

    /// <summary>Reads and validates a host.json file asynchronously.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="cancellationToken">Cancels reading the file.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="HostJsonException">The file is not valid JSON or has invalid values; the exception lists every problem.</exception>
    public static async Task<HostJsonSettings> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = RequireFile(path);
        var json = await File.ReadAllTextAsync(fullPath, cancellationToken);
        return Parse(json, fullPath);
    }

    /// <summary>
    /// Finds host.json by walking up from <paramref name="startDirectory"/>, or, when it is
    /// <see langword="null"/>, from <see cref="AppContext.BaseDirectory"/> and then the current directory.
    /// </summary>
    /// <param name="startDirectory">Where to start, or <see langword="null"/>.</param>
    /// <returns>The full path of the nearest host.json, or <see langword="null"/> when there is none.</returns>
    public static string? Find(string? startDirectory = null)
    {
        var starts = startDirectory is null
            ? new[] { AppContext.BaseDirectory, Environment.CurrentDirectory }
            : new[] { startDirectory };
        foreach (var start in starts)
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Parses and validates host.json text.</summary>
    /// <param name="json">The file content.</param>
    /// <param name="sourcePath">The file it came from, for messages and <see cref="ResolvePath"/>; may be <see langword="null"/>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="HostJsonException">The text is not valid JSON or has invalid values; the exception lists every problem.</exception>
    public static HostJsonSettings Parse(string json, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new HostJsonException(sourcePath, [$"not valid JSON: {ex.Message}"]);
        }

        using (document)
        {
            var problems = new List<string>();
            var reader = new SectionReader(problems);
            var durableTask = new DurableTaskOptions();
            var humanLoop = new HumanLoopHostOptions();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new HostJsonException(sourcePath, [$"the root must be a JSON object, not {Describe(root)}"]);
            }

            if (reader.String(root, "version", "version") is { } version && version != "2.0")
            {
                problems.Add($"version: must be \"2.0\" (the Azure Functions host.json schema), not \"{version}\"");
            }

            if (reader.Object(root, "extensions", "extensions") is { } extensions)
            {
                if (reader.Object(extensions, "durableTask", "extensions.durableTask") is { } dt)
                {
                    const string P = "extensions.durableTask";
                    durableTask.HubName = reader.String(dt, "hubName", P) ?? durableTask.HubName;
                    durableTask.MaxConcurrentActivityFunctions = reader.Int(dt, "maxConcurrentActivityFunctions", P) ?? durableTask.MaxConcurrentActivityFunctions;
                    durableTask.MaxConcurrentOrchestratorFunctions = reader.Int(dt, "maxConcurrentOrchestratorFunctions", P) ?? durableTask.MaxConcurrentOrchestratorFunctions;
                    durableTask.ExtendedSessionsEnabled = reader.Bool(dt, "extendedSessionsEnabled", P) ?? durableTask.ExtendedSessionsEnabled;
                    durableTask.ExtendedSessionIdleTimeoutInSeconds = reader.Int(dt, "extendedSessionIdleTimeoutInSeconds", P) ?? durableTask.ExtendedSessionIdleTimeoutInSeconds;
                    if (reader.Object(dt, "storageProvider", P + ".storageProvider") is { } sp)
                    {
                        const string S = P + ".storageProvider";
                        var o = durableTask.StorageProvider;
                        o.PartitionCount = reader.Int(sp, "partitionCount", S) ?? o.PartitionCount;
                        o.MaxQueuePollingInterval = reader.TimeSpan(sp, "maxQueuePollingInterval", S) ?? o.MaxQueuePollingInterval;
                        o.ControlQueueBatchSize = reader.Int(sp, "controlQueueBatchSize", S) ?? o.ControlQueueBatchSize;
                        o.ControlQueueBufferThreshold = reader.Int(sp, "controlQueueBufferThreshold", S) ?? o.ControlQueueBufferThreshold;
                        o.UseTablePartitionManagement = reader.Bool(sp, "useTablePartitionManagement", S) ?? o.UseTablePartitionManagement;
                        o.ControlQueueVisibilityTimeout = reader.TimeSpan(sp, "controlQueueVisibilityTimeout", S) ?? o.ControlQueueVisibilityTimeout;
                        o.WorkItemQueueVisibilityTimeout = reader.TimeSpan(sp, "workItemQueueVisibilityTimeout", S) ?? o.WorkItemQueueVisibilityTimeout;
                    }
                }

                if (reader.Object(extensions, "humanLoop", "extensions.humanLoop") is { } hl)
                {
                    const string H = "extensions.humanLoop";
                    humanLoop.Port = reader.Int(hl, "port", H) ?? humanLoop.Port;
                    humanLoop.AzuriteDataFolder = reader.String(hl, "azuriteDataFolder", H) ?? humanLoop.AzuriteDataFolder;
                    humanLoop.PublishHumanTasks = reader.Bool(hl, "publishHumanTasks", H) ?? humanLoop.PublishHumanTasks;
                    humanLoop.ShutdownGracePeriod = reader.TimeSpan(hl, "shutdownGracePeriod", H) ?? humanLoop.ShutdownGracePeriod;
                    humanLoop.ContinueAsNewAfter = reader.Int(hl, "continueAsNewAfter", H) ?? humanLoop.ContinueAsNewAfter;
                    humanLoop.ResponseTimeout = reader.TimeSpan(hl, "responseTimeout", H) ?? humanLoop.ResponseTimeout;
                }
            }

            var settings = new HostJsonSettings(durableTask, humanLoop, sourcePath);
            problems.AddRange(settings.Validate());
            return problems.Count > 0 ? throw new HostJsonException(sourcePath, problems) : settings;
        }
    }

    /// <summary>Returns the storage names of the configured hub.</summary>
    /// <returns>The names for <see cref="DurableTaskOptions.HubName"/> and its partition count.</returns>
    /// <exception cref="ArgumentException">The options were changed to invalid values after loading.</exception>
    public TaskHubNames CreateTaskHubNames() => new(DurableTask.HubName, DurableTask.StorageProvider.PartitionCount);

    /// <summary>
    /// Resolves a path from the settings (such as <see cref="HumanLoopHostOptions.AzuriteDataFolder"/>):
    /// a relative path is taken relative to the folder of host.json, or to the current directory when
    /// the settings did not come from a file.
    /// </summary>
    /// <param name="path">An absolute or relative path.</param>
    /// <returns>The full path.</returns>
    public string ResolvePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var baseDirectory = SourcePath is null ? Environment.CurrentDirectory : Path.GetDirectoryName(SourcePath)!;
        return Path.GetFullPath(path, baseDirectory);
    }

    /// <summary>Checks every value against its range (after overrides were bound over the file's values).</summary>
    /// <returns>One message per problem, each starting with its host.json path; empty when all is well.</returns>
    public IReadOnlyList<string> Validate() =>
    [
        .. OptionsValidator.Validate(DurableTask, "extensions.durableTask"),
        .. OptionsValidator.Validate(DurableTask.StorageProvider, "extensions.durableTask.storageProvider"),
        .. OptionsValidator.Validate(HumanLoop, "extensions.humanLoop"),
    ];

    private static string RequireFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        return File.Exists(fullPath) ? fullPath : throw new FileNotFoundException($"No host.json at '{fullPath}'.", fullPath);
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>Reads typed values by case-insensitive key, recording a problem for every mistyped one.</summary>
    private sealed class SectionReader(List<string> problems)
    {
        private delegate bool Parser<T>(JsonElement value, out T result);

        public JsonElement? Object(JsonElement parent, string name, string path)
        {
            if (!TryGet(parent, name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{path}: expected an object, found {Describe(value)}");
                return null;
            }

            return value;
        }

        public string? String(JsonElement parent, string name, string path) =>
            TryRead<string>(parent, name, path, "a string", ParseString, out var text) ? text : null;

        public int? Int(JsonElement parent, string name, string path) =>
            TryRead<int>(parent, name, path, "a whole number", ParseInt, out var number) ? number : null;

        public bool? Bool(JsonElement parent, string name, string path) =>
            TryRead<bool>(parent, name, path, "true or false", ParseBool, out var flag) ? flag : null;

        public TimeSpan? TimeSpan(JsonElement parent, string name, string path) =>
            TryRead<TimeSpan>(parent, name, path, "a time span \"hh:mm:ss\"", ParseTimeSpan, out var span) ? span : null;

        private static bool ParseString(JsonElement value, out string result)
        {
            result = value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
            return value.ValueKind == JsonValueKind.String;
        }

        // The Functions host also accepts numbers written as strings ("4").
        private static bool ParseInt(JsonElement value, out int result) =>
            value.ValueKind == JsonValueKind.Number
                ? value.TryGetInt32(out result)
                : int.TryParse(value.ValueKind == JsonValueKind.String ? value.GetString() : null, NumberStyles.Integer, CultureInfo.InvariantCulture, out result);

        // The Functions host also accepts "true" / "false" written as strings.
        private static bool ParseBool(JsonElement value, out bool result)
        {
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                result = value.GetBoolean();
                return true;
            }

            return bool.TryParse(value.ValueKind == JsonValueKind.String ? value.GetString() : null, out result);
        }

        // "hh:mm:ss" (optionally "d.hh:mm:ss" and fractions); a bare number would silently mean days.
        private static bool ParseTimeSpan(JsonElement value, out TimeSpan result)
        {
            result = default;
            var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return text is not null
                && text.Contains(':', StringComparison.Ordinal)
                && System.TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out result);
        }

        /// <summary>False when the key is absent or null, or (recording a problem) when its value does not parse.</summary>
        private bool TryRead<T>(JsonElement parent, string name, string path, string expected, Parser<T> parse, out T result)
        {
            result = default!;
            if (!TryGet(parent, name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return false;
            }

            if (parse(value, out result))
            {
                return true;
            }

            problems.Add($"{Key(path, name)}: expected {expected}, found {Describe(value)}");
            return false;
        }

        private static string Key(string path, string name) => $"{path}.{name}";

        private static bool TryGet(JsonElement parent, string name, out JsonElement value)
        {
            foreach (var property in parent.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }

            value = default;
            return false;
        }
    }
}
