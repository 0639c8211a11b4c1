using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// The signature of a webhook delivery: <c>X-HumanLoop-Signature: sha256=HEX</c>, the lower-case hex HMAC-SHA256 with
/// the webhook's secret of <c>{X-HumanLoop-Timestamp}.{body}</c> (the timestamp in Unix seconds, the body's UTF-8 bytes).
/// </summary>
public static class WebhookSignature
{
    /// <summary>The signature header: <c>X-HumanLoop-Signature</c>.</summary>
    public const string SignatureHeader = "X-HumanLoop-Signature";

    /// <summary>The timestamp header (Unix seconds): <c>X-HumanLoop-Timestamp</c>.</summary>
    public const string TimestampHeader = "X-HumanLoop-Timestamp";

    /// <summary>The delivery id header, the same for every attempt of a notice: <c>X-HumanLoop-Delivery</c>.</summary>
    public const string DeliveryHeader = "X-HumanLoop-Delivery";

    /// <summary>The signature header's value for a body sent at <paramref name="timestamp"/>.</summary>
    /// <param name="secret">The webhook's secret.</param>
    /// <param name="timestamp">The <c>X-HumanLoop-Timestamp</c> value.</param>
    /// <param name="body">The body, as sent.</param>
    /// <returns><c>sha256=</c> and 64 lower-case hex digits.</returns>
    public static string Compute(string secret, string timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return "sha256=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>
    /// Whether a delivery is authentic and fresh: the signature matches (compared in constant time) and the timestamp
    /// is within <paramref name="tolerance"/> of <paramref name="now"/>.
    /// </summary>
    /// <param name="secret">The webhook's secret.</param>
    /// <param name="timestamp">The <c>X-HumanLoop-Timestamp</c> header.</param>
    /// <param name="body">The body, as received.</param>
    /// <param name="signature">The <c>X-HumanLoop-Signature</c> header.</param>
    /// <param name="now">The receiver's current time.</param>
    /// <param name="tolerance">How old (or early) a delivery may be; five minutes is usual.</param>
    public static bool Verify(string secret, string? timestamp, string body, string? signature, DateTimeOffset now, TimeSpan tolerance)
    {
        if (timestamp is null || signature is null
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(secret, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
