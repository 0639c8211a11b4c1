using System.Text.Json;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Finds text in a parsed JSON value that cannot become a .NET string: a lone surrogate escape (<c>"\ud800"</c>) or
/// bytes that are not UTF-8. <see cref="JsonDocument"/> parses both without complaint and fails only when the string
/// is read, which for an answer or an event would be inside the run, failing it.
/// </summary>
internal static class JsonText
{
    private const string Why = "is not valid Unicode text: it has a lone surrogate escape such as \\ud800, or bytes that are not UTF-8";

    /// <summary>
    /// Describes the first string or property name that is not valid text, naming its JSON path (<c>$.answer.items[2]</c>),
    /// or returns <see langword="null"/> when every one is valid. The walk is as deep as the document, which the parser bounds.
    /// </summary>
    /// <returns>The path and a description such as <c>'$.respondent' is not valid Unicode text: ...</c>; or null.</returns>
    public static (string Path, string Problem)? FindInvalid(JsonElement value) =>
        Find(value) switch
        {
            null => null,
            { InName: true } name => ("$" + name.Path, $"A property name in '${name.Path}' {Why}."),
            { } text => ("$" + text.Path, $"'${text.Path}' {Why}."),
        };

    // The path below value (empty for value itself), built only on the way back from a find; InName when the bad text
    // is a property name of the object at that path.
    private static (string Path, bool InName)? Find(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(value) ? null : (string.Empty, false);

            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (Find(item) is { } below)
                    {
                        return below with { Path = $"[{index}]{below.Path}" };
                    }

                    index++;
                }

                return null;

            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (!TryGetName(property, out var name))
                    {
                        return (string.Empty, true);
                    }

                    if (Find(property.Value) is { } below)
                    {
                        return below with { Path = Segment(name) + below.Path };
                    }
                }

                return null;

            default:
                return null;
        }
    }

    private static bool IsText(JsonElement value)
    {
        try
        {
            // Decoding is the check: it refuses exactly what every later reader of the value would refuse.
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = string.Empty;
            return false;
        }
    }

    private static string Segment(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? "." + name : $"['{name}']";
}
