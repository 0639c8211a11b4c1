namespace HumanLoop.Functions.Api;

/// <summary>The rules for run ids given by callers; they become Azure Table keys and URL segments.</summary>
internal static class InstanceIds
{
    /// <summary>The longest id accepted.</summary>
    public const int MaxLength = 100;

    /// <summary>Returns why <paramref name="id"/> cannot be a run id, or <see langword="null"/> when it can.</summary>
    public static string? GetProblem(string id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "The instance id must not be empty.";
        }

        if (id.Length > MaxLength)
        {
            return $"The instance id is {id.Length} characters long; the limit is {MaxLength}.";
        }

        // Azure Table keys forbid these, as Durable Functions' instance ids do.
        foreach (var c in id)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                return "The instance id must not contain '/', '\\', '#', '?' or control characters.";
            }
        }

        return null;
    }
}
