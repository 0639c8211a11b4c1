using System.Globalization;
using HumanLoop.Functions.Hosting;

namespace HumanLoop.Functions.Api;

/// <summary>The callback API's limits, read from <c>HumanLoop:Http:Callbacks:*</c>.</summary>
internal sealed record CallbackOptions
{
    /// <summary>How many callbacks one caller may send per <see cref="Window"/>. <value>The default is 60.</value></summary>
    public int PermitLimit { get; init; } = 60;

    /// <summary>The rate limit's fixed window. <value>The default is one minute.</value></summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a first outcome is replayed for its <c>Idempotency-Key</c>. <value>The default is 24 hours.</value></summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Reads and checks the settings.</summary>
    /// <param name="configuration">The app's configuration.</param>
    /// <exception cref="InvalidOperationException">A setting is out of range or malformed; the message names it.</exception>
    public static CallbackOptions From(IConfiguration configuration)
    {
        var defaults = new CallbackOptions();
        var permits = configuration[AppSettings.CallbackPermitLimit];
        int limit = defaults.PermitLimit;
        if (!string.IsNullOrWhiteSpace(permits) && (!int.TryParse(permits, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            throw new InvalidOperationException($"Setting '{AppSettings.CallbackPermitLimit}' must be a whole number of at least 1, not '{permits}'.");
        }

        return new CallbackOptions
        {
            PermitLimit = limit,
            Window = Duration(configuration, AppSettings.CallbackWindow, defaults.Window),
            IdempotencyWindow = Duration(configuration, AppSettings.CallbackIdempotencyWindow, defaults.IdempotencyWindow),
        };

        static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan fallback)
        {
            var text = configuration[key];
            if (string.IsNullOrWhiteSpace(text))
            {
                return fallback;
            }

            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
                ? value
                : throw new InvalidOperationException($"Setting '{key}' must be a positive duration such as 00:01:00, not '{text}'.");
        }
    }
}
