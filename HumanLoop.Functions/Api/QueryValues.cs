using System.Globalization;

namespace HumanLoop.Functions.Api;

/// <summary>Parses query-string values with messages that name the parameter, so bad values give a 400 problem.</summary>
internal static class QueryValues
{
    public static bool TryParseBool(string? text, string name, bool defaultValue, out bool value, out string? error)
    {
        error = null;
        value = defaultValue;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (bool.TryParse(text, out value))
        {
            return true;
        }

        error = $"Query parameter '{name}' must be 'true' or 'false', not '{text}'.";
        return false;
    }

    public static bool TryParseTime(string? text, string name, out DateTimeOffset? value, out string? error)
    {
        error = null;
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = $"Query parameter '{name}' must be an ISO 8601 date and time such as 2026-01-31T12:00:00Z, not '{text}'.";
        return false;
    }

    public static bool TryParseInt(string? text, string name, int min, int max, int defaultValue, out int value, out string? error)
    {
        error = null;
        value = defaultValue;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        error = $"Query parameter '{name}' must be a whole number from {min} to {max}, not '{text}'.";
        return false;
    }
}
